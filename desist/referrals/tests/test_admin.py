from __future__ import annotations

from conftest import World
from desist.providers.tests.factories import make_practitioner
from desist.referrals.tests.factories import make_allocation, make_referral


def test_admin_shows_the_workflow_read_only_without_personal_details(world: World) -> None:
    referral = make_referral(
        world.case,
        world.personas["supervising_officer"],
        reason="Reason that only the case team should read.",
    )
    mentor = make_practitioner(world.personas["practitioner"], regions=[world.london])
    allocation = make_allocation(referral, mentor, world.personas["programme_manager"])
    client = world.client_for("administrator")

    listing = client.get("/admin/referrals/referral/")
    assert listing.status_code == 200
    assert "CASE-1" in listing.content.decode()

    page = client.get(f"/admin/referrals/referral/{referral.pk}/change/").content.decode()
    assert "CASE-1" in page
    for private in ("Zebedee", "Reason that only", "Full risk summary", "Summary written for"):
        assert private not in page

    assert client.get("/admin/referrals/referral/add/").status_code == 403
    assert client.post(f"/admin/referrals/referral/{referral.pk}/delete/").status_code == 403
    assert client.get(f"/admin/referrals/allocation/{allocation.pk}/change/").status_code == 200
    assert client.get("/admin/referrals/allocation/add/").status_code == 403
