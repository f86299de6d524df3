"""URL patterns for the release pages (joined in desist/support/urls.py).

Everything about one person sits under /participants/<participant_uuid>/, written out in
full so each pattern carries its own keywords for the route walker. Checklist items are
named by their code; appointments by uuid; contacts are named in the form, not the address.
"""

from django.urls import URLPattern, path

from desist.support import views_release as views

P = "participants/<uuid:participant_uuid>/"

urlpatterns: list[URLPattern] = [
    path("releases/", views.releases, name="releases"),
    path(P + "release/", views.release, name="release"),
    path(P + "release/new/", views.release_create, name="release_create"),
    path(P + "release/edit/", views.release_edit, name="release_edit"),
    path(
        P + "release/checklist/<slug:item>/",
        views.release_checklist,
        name="release_checklist",
    ),
    path(
        P + "release/appointments/new/",
        views.release_appointment_create,
        name="release_appointment_create",
    ),
    path(
        P + "release/appointments/<uuid:appointment_uuid>/delete/",
        views.release_appointment_delete,
        name="release_appointment_delete",
    ),
    path(P + "release/contacts/new/", views.release_contact_create, name="release_contact_create"),
    path(
        P + "release/contacts/delete/", views.release_contact_delete, name="release_contact_delete"
    ),
    path(P + "release/handover/", views.release_handover, name="release_handover"),
    path(P + "passport/", views.passport, name="passport"),
    path(P + "passport.pdf", views.passport_pdf_download, name="passport_pdf"),
]
