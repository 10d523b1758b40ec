"""Every area's page router, in one list."""

from __future__ import annotations

from fastapi import APIRouter

from keyuan.web import (
    routes_channel,
    routes_dashboard,
    routes_desk,
    routes_kiosk,
    routes_portal,
)

ROUTERS: list[APIRouter] = [routes_kiosk.router, routes_portal.router, routes_channel.router,
                            routes_desk.router, routes_dashboard.router]
