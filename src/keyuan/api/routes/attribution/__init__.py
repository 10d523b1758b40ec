"""判客 and 佣金结算 routes: `adjudication` (channels, 报备, 到访确认, 签约, review) and
`settlement` (agreements, statements, exports, disputes)."""
