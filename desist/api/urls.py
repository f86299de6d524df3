from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from desist.api import views, views_delivery, views_notifications, views_providers, views_referrals
from desist.statistics.api import register as register_statistics
from desist.support.api import register as register_support

router = SimpleRouter(trailing_slash=True)
router.register("participants", views.ParticipantViewSet, basename="participant")
router.register(
    "pseudonymised-participants",
    views.PseudonymisedParticipantViewSet,
    basename="pseudonymised-participant",
)
router.register("practitioners", views_providers.PractitionerViewSet, basename="practitioner")
router.register("contracts", views_providers.ContractViewSet, basename="contract")
router.register("referrals", views_referrals.ReferralViewSet, basename="referral")
router.register("allocations", views_referrals.AllocationViewSet, basename="allocation")
router.register("plans", views_delivery.PlanViewSet, basename="plan")
router.register("sessions", views_delivery.SessionViewSet, basename="session")
router.register("concerns", views_delivery.ConcernViewSet, basename="concern")
router.register(
    "compliance-records", views_delivery.ComplianceRecordViewSet, basename="compliance-record"
)
router.register("end-reports", views_delivery.EndReportViewSet, basename="end-report")
router.register("notifications", views_notifications.NotificationViewSet, basename="notification")
router.register("dashboard", views_notifications.DashboardViewSet, basename="dashboard")
register_support(router)
register_statistics(router)

schema_view = SpectacularAPIView.as_view()
schema_view.access_policy = "signed_in"  # type: ignore[attr-defined]

urlpatterns = [
    path("v1/", include((router.urls, "api"), namespace="v1")),
    path("schema/", schema_view, name="api-schema"),
]
