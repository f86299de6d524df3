from django.contrib import admin
from django.urls import include, path

from desist import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("participants/", include("desist.people.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/", include("desist.api.urls")),
    path("admin/", admin.site.urls),
]
