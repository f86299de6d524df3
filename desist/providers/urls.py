from django.urls import path

from desist.providers import views

app_name = "providers"

urlpatterns = [
    path("", views.practitioner_list, name="list"),
    path("me/", views.my_profile, name="me"),
    path("practitioners/new/", views.practitioner_create, name="create"),
    path("practitioners/<uuid:practitioner_uuid>/", views.practitioner_detail, name="detail"),
    path("practitioners/<uuid:practitioner_uuid>/edit/", views.practitioner_edit, name="edit"),
    path(
        "practitioners/<uuid:practitioner_uuid>/status/",
        views.practitioner_status,
        name="status",
    ),
    path(
        "practitioners/<uuid:practitioner_uuid>/vetting/",
        views.practitioner_vetting,
        name="vetting",
    ),
    path(
        "practitioners/<uuid:practitioner_uuid>/training/",
        views.practitioner_training,
        name="training",
    ),
    path("contracts/", views.contract_list, name="contracts"),
    path("contracts/new/", views.contract_create, name="contract_create"),
]
