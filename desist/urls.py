from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from desist import views

# One way in: the admin's own sign-in form would bypass MFA and lock-out, so send it to allauth's.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("participants/", include("desist.people.urls")),
    path("notifications/", include("desist.notifications.urls")),
    path("providers/", include("desist.providers.urls")),
    path("", include("desist.referrals.urls")),
    path("", include("desist.delivery.urls")),
    path("", include("desist.support.urls")),
    path("statistics/", include("desist.statistics.urls")),
    path("evaluation/", include("desist.evaluation.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/", include("desist.api.urls")),
    path("admin/", admin.site.urls),
]
