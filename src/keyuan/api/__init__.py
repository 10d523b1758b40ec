"""FastAPI edge: parse, call one service, render. OpenAPI at /docs."""
