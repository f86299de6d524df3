"""Programme statistics pages (for analysts and the programme team)."""

from django.urls import URLPattern, path

from desist.statistics import urls_figures, urls_releases, views

app_name = "statistics"

urlpatterns: list[URLPattern] = [
    path("active-participants/", views.active_participants, name="active_participants"),
    *urls_figures.urlpatterns,
    *urls_releases.urlpatterns,
]
