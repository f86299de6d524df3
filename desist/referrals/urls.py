from django.urls import path

from desist.referrals import views

app_name = "referrals"

# Pages about one participant's referral sit under /participants/<participant_uuid>/, so the
# access gate is passed before the referral itself is looked up.
P = "participants/<uuid:participant_uuid>/referrals/"

urlpatterns = [
    path("referrals/", views.referral_queue, name="queue"),
    path("referrals/allocate-queue/", views.allocate_queue, name="allocate_queue"),
    path(f"{P}new/", views.referral_create, name="create"),
    path(f"{P}<uuid:referral_uuid>/", views.referral_detail, name="detail"),
    path(f"{P}<uuid:referral_uuid>/triage/", views.referral_triage, name="triage"),
    path(f"{P}<uuid:referral_uuid>/information/", views.referral_information, name="information"),
    path(f"{P}<uuid:referral_uuid>/close/", views.referral_close, name="close"),
    path(f"{P}<uuid:referral_uuid>/allocate/", views.referral_allocate, name="allocate"),
]
