"""URL patterns for the figures pages (joined in desist/statistics/urls.py)."""

from django.urls import URLPattern, path

from desist.statistics import views_figures

urlpatterns: list[URLPattern] = [
    path("figures/", views_figures.figures, name="figures"),
]
