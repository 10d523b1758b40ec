"""Notices, consent receipts, audit hash chain (and, later, rights, retention, PIA, filing)."""
