"""JSON routes, one module (or package) per area. Each route parses, calls one service, renders a
public schema; the guard has already applied the policy."""
