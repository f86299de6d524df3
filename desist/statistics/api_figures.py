"""REST API for statistics figures (registered by desist/statistics/api.py)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter


def register(router: SimpleRouter) -> None:
    """Add this area's viewsets to the /api/v1/ router."""
    return None
