"""URL patterns for the assessments pages (joined in desist/support/urls.py).

A person's support records sit under /participants/<participant_uuid>/support/, so the gate
is passed before any record is looked up; written out in full so each pattern carries its own
keywords for the route walker (tests/test_route_access.py)."""

from django.urls import URLPattern, path

from desist.support import views_assessments as views

P = "participants/<uuid:participant_uuid>/support/"

urlpatterns: list[URLPattern] = [
    path(P + "assessments/", views.assessments, name="assessments"),
    path(P + "assessments/new/", views.assessment_create, name="assessment_create"),
    path(
        P + "assessments/<uuid:assessment_uuid>/",
        views.assessment_detail,
        name="assessment_detail",
    ),
    path(P + "measures/", views.measures, name="measures"),
    path(P + "measures/new/", views.measure_create, name="measure_create"),
    path(P + "progress/", views.progress, name="progress"),
    path("support/caseload-progress/", views.caseload_progress, name="caseload_progress"),
]
