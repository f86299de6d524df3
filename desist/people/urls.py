from django.urls import include, path

from desist.people import views

app_name = "people"

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("new/", views.participant_create, name="create"),
    path("pseudonymised/", views.pseudonymised, name="pseudonymised"),
    path("<uuid:participant_uuid>/", views.participant_detail, name="detail"),
    path("<uuid:participant_uuid>/purpose/", views.participant_purpose, name="purpose"),
    path("<uuid:participant_uuid>/edit/", views.participant_edit, name="edit"),
    path("<uuid:participant_uuid>/status/", views.participant_status, name="status"),
    path(
        "<uuid:participant_uuid>/legal-bases/new/",
        views.legal_basis_add,
        name="legal_basis_add",
    ),
    path("", include("desist.people.urls_duplicates")),
]
