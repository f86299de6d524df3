from __future__ import annotations

import datetime as dt
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from conftest import World
from desist.delivery.constants import ConcernCategory, ConcernStatus
from desist.delivery.models import Concern
from desist.notifications.constants import NotificationKind
from desist.notifications.models import Notification
from desist.providers.constants import PractitionerStatus
from desist.providers.tests.factories import make_practitioner


def test_run_scheduled_escalates_late_concerns_and_expires_lapsed_vetting(world: World) -> None:
    now = timezone.now()
    concern = Concern.objects.create(
        participant=world.case,
        raised_by=world.personas["supervising_officer"],
        raised_at=now - dt.timedelta(hours=6),
        category=ConcernCategory.RISK_TO_SELF,
        urgent=True,
        description="Described.",
        acknowledge_by=now - dt.timedelta(hours=2),
    )
    lapsed = make_practitioner(world.personas["practitioner"])
    lapsed.vetting_expires_on = timezone.localdate() - dt.timedelta(days=1)
    lapsed.save(update_fields=["vetting_expires_on"])

    out = StringIO()
    call_command("run_scheduled", stdout=out)

    concern.refresh_from_db()
    lapsed.refresh_from_db()
    assert concern.status == ConcernStatus.ESCALATED
    assert lapsed.status == PractitionerStatus.EXPIRED
    assert Notification.objects.filter(
        kind=NotificationKind.CONCERN_ESCALATED, recipient=world.personas["programme_manager"]
    ).exists()
    assert "urgent concerns escalated: 1" in out.getvalue()
    assert "practitioners expired: 1" in out.getvalue()

    # A second run finds nothing more to do.
    again = StringIO()
    call_command("run_scheduled", stdout=again)
    assert "urgent concerns escalated: 0" in again.getvalue()
    assert "practitioners expired: 0" in again.getvalue()
