"""Programme statistics pages (for analysts and the programme team)."""

from django.urls import URLPattern, path

from desist.statistics import views

app_name = "statistics"

urlpatterns: list[URLPattern] = [
    path("active-participants/", views.active_participants, name="active_participants"),
]
