"""Programme statistics pages (for analysts and the programme team)."""

from django.urls import URLPattern

app_name = "statistics"

urlpatterns: list[URLPattern] = []
