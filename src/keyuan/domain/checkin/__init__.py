"""Check-in as pure rules: notices, consents and receipts, persons, kiosk sessions, visits and
one-time codes."""
