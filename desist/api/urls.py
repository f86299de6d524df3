from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from desist.api import views

router = SimpleRouter(trailing_slash=True)
router.register("participants", views.ParticipantViewSet, basename="participant")
router.register(
    "pseudonymised-participants",
    views.PseudonymisedParticipantViewSet,
    basename="pseudonymised-participant",
)

schema_view = SpectacularAPIView.as_view()
schema_view.access_policy = "signed_in"  # type: ignore[attr-defined]

urlpatterns = [
    path("v1/", include((router.urls, "api"), namespace="v1")),
    path("schema/", schema_view, name="api-schema"),
]
