"""REST API for programme statistics (registered on the /api/v1/ router)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter


def register(router: SimpleRouter) -> None:
    """Add the statistics viewsets to the /api/v1/ router."""
