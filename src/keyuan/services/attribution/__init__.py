"""判客 and 佣金结算 use cases: channels and 报备, 签约 at the signing desk, settlement and
statements."""
