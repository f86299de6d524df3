"""Evaluation pages (analysts and programme managers): proven reoffending, and Data Lab
evaluations with their downloads."""

from django.urls import URLPattern, path

from desist.evaluation import views, views_datalab

app_name = "evaluation"

urlpatterns: list[URLPattern] = [
    path("reoffending/", views.run_list, name="runs"),
    path("reoffending/new/", views.run_new, name="run_new"),
    path("reoffending/<uuid:run_uuid>/", views.run_detail, name="run_detail"),
    path("datalab/", views_datalab.datalab_list, name="datalab_runs"),
    path("datalab/new/", views_datalab.datalab_new, name="datalab_new"),
    path("datalab/<uuid:run_uuid>/", views_datalab.datalab_detail, name="datalab_detail"),
    path(
        "datalab/<uuid:run_uuid>/report.<str:kind>",
        views_datalab.datalab_report,
        name="datalab_download",
    ),
]
