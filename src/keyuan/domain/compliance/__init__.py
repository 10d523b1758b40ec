"""Compliance as pure rules: the audit chain, impact assessments, retention, the filing counter
and rights requests."""
