"""Server-rendered pages: the faces of the product each role uses (kiosk, visitor portal,
distributor portal, signing desk, dashboards). Jinja2 templates, a per-area string catalog
(zh-CN default, en), and small hand-written JS that calls the same JSON API as any client, so
every action passes the one authorisation policy (`accounts.policy`)."""
