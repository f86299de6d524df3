"""Included by desist/people/urls.py under /participants/, in the `people` namespace."""

from django.urls import path

from desist.people import views_duplicates

urlpatterns = [
    path("duplicates/", views_duplicates.duplicates, name="duplicates"),
]
