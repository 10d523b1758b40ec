"""判客 and 佣金结算 as pure rules: channels, 报备 (registrations) and their per-office rules,
the adjudication of a signing, the resident ID number, commission agreements and statements."""
