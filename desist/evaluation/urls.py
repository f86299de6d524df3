"""Evaluation pages: proven reoffending on uploaded files (analysts and programme managers)."""

from django.urls import URLPattern, path

from desist.evaluation import views

app_name = "evaluation"

urlpatterns: list[URLPattern] = [
    path("reoffending/", views.run_list, name="runs"),
    path("reoffending/new/", views.run_new, name="run_new"),
    path("reoffending/<uuid:run_uuid>/", views.run_detail, name="run_detail"),
]
