"""Walks every URL and API route as every persona and fails on any route that lets the wrong
persona in, or that shows a participant's name to someone the gate would not show it to.

New routes are picked up from the URL configuration; a route of ours without an access policy
(set by the decorators in desist.accounts.decorators, or `access_policy` on an API view) fails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import CASE_READERS as FOUNDATION_CASE_READERS
from conftest import CASE_WRITERS, PERSONAS, World
from desist.audit.constants import Action
from desist.audit.models import AuditEvent
from desist.people.models import Participant

# In the allocated world the practitioner persona is allocated to `case`, so reads it too.
CASE_READERS = FOUNDATION_CASE_READERS | {"practitioner"}

# Readers of `world.other_case` (North West, supervised by Probation North West).
OTHER_CASE_READERS = {"officer_other_area", "programme_manager", "police_other_region"}
DENIED = {404}
LOGIN_PREFIXES = ("/accounts/login/", "/admin/login/")


@dataclass
class Route:
    namespace: str
    name: str
    kwargs: tuple[str, ...]
    policy: Any  # str, or {method: str} for API views
    module: str


def _policy_of(callback: Any) -> Any:
    for holder in (callback, getattr(callback, "cls", None), getattr(callback, "view_class", None)):
        if holder is not None and hasattr(holder, "access_policy"):
            return holder.access_policy
    return None


def _walk(patterns: list[Any], namespace: str = "") -> list[Route]:
    routes: list[Route] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            inner = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            routes += _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            pattern = entry.pattern
            kwargs = tuple(getattr(pattern, "converters", {}) or {}) or tuple(
                pattern.regex.groupindex
            )
            if entry.name is None:
                name = ""
            else:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
            module = getattr(entry.callback, "__module__", "")
            routes.append(Route(namespace, name, kwargs, _policy_of(entry.callback), module))
    return routes


ROUTES = _walk(get_resolver().url_patterns)


def _third_party(route: Route) -> str | None:
    if route.name in ("admin:login", "admin:logout"):
        return "allauth"  # sign-in itself goes through allauth; see desist/urls.py
    if route.namespace == "admin":
        return "staff"
    if route.module.startswith("allauth."):
        return "allauth"
    return None


def test_every_route_of_ours_declares_an_access_policy() -> None:
    missing = [r.name or r.module for r in ROUTES if r.policy is None and _third_party(r) is None]
    assert not missing, f"Routes with no access policy (deny by default): {missing}"


def test_every_route_of_ours_has_a_name() -> None:
    # Only the admin's own redirect and catch-all patterns go unnamed; they are not walked.
    unnamed = [r.module for r in ROUTES if not r.name and not r.module.startswith("django.")]
    assert not unnamed


def _url(route: Route, world: World) -> str:
    values = {}
    for key in route.kwargs:
        if key == "participant_uuid":
            values[key] = str(world.case.uuid)
        elif key == "format":
            values[key] = "json"
        elif key == "app_label":
            values[key] = "accounts"
        elif key in ("pk", "object_id", "id"):
            values[key] = "1"
        elif key in world.objects:
            values[key] = str(world.objects[key])
        elif key.endswith("_uuid"):
            values[key] = str(uuid.uuid4())  # no such object: must be not-found for everyone
        else:
            values[key] = "x"
    return reverse(route.name, kwargs=values)


def _allowed(policy: str, persona: str, world: World, route: Route) -> bool:
    if policy == "public":
        return True
    if persona == "anonymous":
        return False
    user = world.personas[persona]
    if policy == "signed_in":
        return True
    if policy.startswith("roles:"):
        return bool(set(policy.removeprefix("roles:").split(",")) & user.roles)
    if policy in ("participant", "participant_write"):
        if "participant_uuid" not in route.kwargs:
            from desist.accounts.constants import CASELOAD_ROLES

            return bool(set(CASELOAD_ROLES) & user.roles)
        return persona in (CASE_WRITERS if policy == "participant_write" else CASE_READERS)
    if policy == "staff":
        return bool(user.is_staff)
    raise AssertionError(f"unknown policy {policy!r}")


def _refused(response: Any, persona: str, api: bool, policy: str) -> bool:
    if policy == "staff" or persona == "anonymous":
        if api:
            return response.status_code in (401, 403)
        return response.status_code == 302 and response["Location"].startswith(LOGIN_PREFIXES)
    return response.status_code in DENIED


def _writes() -> int:
    return (
        AuditEvent.objects.exclude(action__in=[Action.VIEW, Action.LIST]).count()
        + Participant.objects.count()
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_route_lets_the_wrong_persona_in(allocated_world: World, persona: str) -> None:
    world = allocated_world
    client = world.client_for(persona)
    if persona != "anonymous":
        session = client.session
        session["access_purposes"] = {
            str(world.case.uuid): "case_management",
            str(world.other_case.uuid): "case_management",
        }
        session.save()
    headers = {"HTTP_X_ACCESS_PURPOSE": "case_management"}
    failures: list[str] = []
    for route in ROUTES:
        policy = route.policy or _third_party(route)
        if policy is None or policy == "allauth" or not route.name:
            continue  # allauth's own views: sign-in pages, checked by test_auth
        url = _url(route, world)
        api = url.startswith("/api/")
        for method in ("get", "post", "patch"):
            if method == "patch" and not api:
                continue
            method_policy = policy.get(method.upper()) if isinstance(policy, dict) else policy
            if method_policy is None:
                continue
            before = _writes()
            response = getattr(client, method)(url, **headers)
            body = response.content.decode(errors="replace") if method == "get" else ""
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {url}: server error {response.status_code}")
            allowed = _allowed(method_policy, persona, world, route)
            # 405 (a POST-only page asked for with GET) is the same for every record and
            # every persona, so it tells nothing about the participant.
            if (
                not allowed
                and method == "get"
                and response.status_code != 405
                and not _refused(response, persona, api, method_policy)
            ):
                failures.append(f"GET {url} ({method_policy}): let {persona} in")
            if not allowed and method != "get":
                if not (
                    _refused(response, persona, api, method_policy) or response.status_code == 405
                ):
                    failures.append(f"{method.upper()} {url}: {response.status_code}")
                if _writes() != before:
                    failures.append(f"{method.upper()} {url}: {persona} changed data")
            if "Zebedee-Marker" in body and persona not in CASE_READERS:
                failures.append(f"GET {url}: showed CASE-1's name to {persona}")
            if "Quillfeather-Marker" in body and persona not in OTHER_CASE_READERS:
                failures.append(f"GET {url}: showed CASE-2's name to {persona}")
    assert not failures, "\n".join(failures)


def test_the_walk_reaches_participant_pages_and_the_api() -> None:
    names = {r.name for r in ROUTES}
    assert {"people:detail", "people:edit", "v1:participant-detail", "api-schema"} <= names


def test_the_walk_reaches_a_real_statistics_release(allocated_world: World) -> None:
    # The release pages are walked with a release that exists, so the readers' 200 and
    # everyone else's 404 are both about a real record, not a random uuid.
    route = next(r for r in ROUTES if r.name == "statistics:release_detail")
    url = _url(route, allocated_world)

    assert allocated_world.client_for("analyst").get(url).status_code == 200
    assert allocated_world.client_for("supervising_officer").get(url).status_code == 404
