"""Registers every support area's API viewsets on the /api/v1/ router."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from desist.support import api_assessments, api_directory, api_plan, api_release


def register(router: SimpleRouter) -> None:
    for area in (api_assessments, api_plan, api_directory, api_release):
        area.register(router)
