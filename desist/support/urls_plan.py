"""URL patterns for the plan pages (joined in desist/support/urls.py).

Everything sits under the participant's address, so the gate is passed before the goal or
action is looked up; written out in full so each pattern carries its own keywords for the route
walker in tests/test_route_access.py."""

from django.urls import URLPattern, path

from desist.support import views_plan as views

P = "participants/<uuid:participant_uuid>/support/plan/"

urlpatterns: list[URLPattern] = [
    path(P, views.plan, name="plan"),
    path(P + "goals/new/", views.goal_create, name="goal_create"),
    path(P + "goals/<uuid:goal_uuid>/", views.goal_detail, name="goal_detail"),
    path(P + "goals/<uuid:goal_uuid>/edit/", views.goal_edit, name="goal_edit"),
    path(P + "goals/<uuid:goal_uuid>/achieved/", views.goal_achieve, name="goal_achieve"),
    path(P + "goals/<uuid:goal_uuid>/actions/new/", views.action_create, name="action_create"),
    path(P + "actions/<uuid:action_uuid>/edit/", views.action_edit, name="action_edit"),
]
