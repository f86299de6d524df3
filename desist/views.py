from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from desist.accounts.constants import CASELOAD_ROLES, Role
from desist.accounts.decorators import public, signed_in


@signed_in
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.has_role(*CASELOAD_ROLES):  # type: ignore[union-attr]
        return redirect("people:caseload")
    if user.has_role(Role.ANALYST):  # type: ignore[union-attr]
        return redirect("people:pseudonymised")
    return render(request, "home.html")


@public
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
