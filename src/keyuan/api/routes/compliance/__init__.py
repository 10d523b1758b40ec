"""Compliance routes: `records` (receipts, notices, impact assessment, audit chain, filing,
inspection) and `rights` (visitor self-service and the staff side of it)."""
