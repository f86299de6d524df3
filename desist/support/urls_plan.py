"""URL patterns for the plan pages (joined in desist/support/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
