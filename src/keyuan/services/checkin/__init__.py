"""Check-in use cases: the kiosk session, face and phone check-in, consents and their signed
receipts, offices and their default notices, the gallery loaded from the vault."""
