"""JSON routes, one module per area. Each route parses, calls one service, renders a public
schema (`api/schemas/<area>.py`); the guard has already applied the policy."""
