"""URL patterns for the directory pages (joined in desist/support/urls.py). The directory holds
no personal data; searches are codes and numbers in the address."""

from django.urls import URLPattern, path

from desist.support import views_directory as views

urlpatterns: list[URLPattern] = [
    path("services/", views.directory, name="directory"),
    path("services/new/", views.service_create, name="service_create"),
    path("services/<uuid:service_uuid>/", views.service_detail, name="service_detail"),
    path("services/<uuid:service_uuid>/edit/", views.service_edit, name="service_edit"),
]
