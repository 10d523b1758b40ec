"""Every area's page router, in one list."""

from __future__ import annotations

from fastapi import APIRouter

from keyuan.web.routes import attribution as routes_channel
from keyuan.web.routes import checkin as routes_kiosk
from keyuan.web.routes import compliance as routes_portal
from keyuan.web.routes import dashboard as routes_dashboard
from keyuan.web.routes import desk as routes_desk

ROUTERS: list[APIRouter] = [routes_kiosk.router, routes_portal.router, routes_channel.router,
                            routes_desk.router, routes_dashboard.router]
