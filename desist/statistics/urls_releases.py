"""URL patterns for the releases pages (joined in desist/statistics/urls.py)."""

from django.urls import URLPattern, path

from desist.statistics import views_releases

urlpatterns: list[URLPattern] = [
    path("releases/", views_releases.release_list, name="releases"),
    path("releases/new/", views_releases.release_new, name="release_new"),
    path(
        "releases/<uuid:release_uuid>/",
        views_releases.release_detail,
        name="release_detail",
    ),
    path(
        "releases/<uuid:release_uuid>/publish/",
        views_releases.release_publish,
        name="release_publish",
    ),
    path(
        "releases/<uuid:release_uuid>/download/<slug:file_format>/",
        views_releases.release_download,
        name="release_download",
    ),
]
