"""URL patterns for the releases pages (joined in desist/statistics/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
