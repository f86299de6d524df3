from django.urls import path

from desist.delivery import views

app_name = "delivery"

# Everything about a participant's intervention sits under /participants/<participant_uuid>/,
# so the access gate is passed before the plan, session, concern or report is looked up.
# Written out in full (not include()d under a prefix with a converter), so each pattern carries
# its own keywords for the route walker in tests/test_route_access.py.
P = "participants/<uuid:participant_uuid>/"

urlpatterns = [
    path(P + "work/", views.work, name="work"),
    path(P + "plan/new/", views.plan_create, name="plan_create"),
    path(P + "plans/<uuid:plan_uuid>/", views.plan_detail, name="plan_detail"),
    path(P + "plans/<uuid:plan_uuid>/decision/", views.plan_decision, name="plan_decision"),
    path(P + "sessions/new/", views.session_create, name="session_create"),
    path(P + "sessions/<uuid:session_uuid>/", views.session_detail, name="session_detail"),
    path(
        P + "sessions/<uuid:session_uuid>/reschedule/",
        views.session_reschedule,
        name="session_reschedule",
    ),
    path(P + "concerns/new/", views.concern_create, name="concern_create"),
    path(P + "concerns/<uuid:concern_uuid>/", views.concern_detail, name="concern_detail"),
    path(
        P + "concerns/<uuid:concern_uuid>/acknowledge/",
        views.concern_acknowledge,
        name="concern_acknowledge",
    ),
    path(P + "compliance/<uuid:record_uuid>/", views.compliance_detail, name="compliance_detail"),
    path(
        P + "compliance/<uuid:record_uuid>/decision/",
        views.compliance_decision,
        name="compliance_decision",
    ),
    path(P + "end-report/new/", views.end_report_create, name="end_report_create"),
    path(P + "end-reports/<uuid:report_uuid>/", views.end_report_detail, name="end_report_detail"),
]
