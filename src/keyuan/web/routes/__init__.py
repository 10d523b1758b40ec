"""Page routes, one module per area (GET pages; actions go through the JSON API)."""
