"""`desist run-scheduled`: the time-driven work, safe to run as often as you like.

Run it every few minutes from cron or a systemd timer (one at a time is enough; every step is
idempotent, so an overlapping run does no harm):

    */5 * * * *  desist run-scheduled

It expires practitioners whose vetting or required training has lapsed (their access to
participants already ended at the lapse, through the access gate), sends expiry reminders,
escalates urgent concerns not acknowledged in time, queues again e-mails that failed, and
marks failed any reoffending run or Data Lab evaluation whose background worker was lost
(still waiting or running six hours after it was asked for).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "Run the time-driven work: expiries, reminders, escalations, e-mail retries, stale "
        "evaluation runs."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        from desist.delivery.services import concerns_escalate_overdue
        from desist.evaluation.runs import runs_fail_stale
        from desist.notifications.tasks import retry_failed_emails
        from desist.providers.services import expiry_reminders_send, practitioners_expire_lapsed

        now = timezone.now()
        today = timezone.localdate(now)
        steps: list[tuple[str, Callable[[], int]]] = [
            ("practitioners expired", lambda: practitioners_expire_lapsed(today=today)),
            ("expiry reminders sent", lambda: expiry_reminders_send(today=today)),
            ("urgent concerns escalated", lambda: concerns_escalate_overdue(now=now)),
            ("e-mails queued again", retry_failed_emails),
            ("stale evaluation runs failed", lambda: runs_fail_stale(now=now)),
        ]
        for label, step in steps:
            count = step()
            self.stdout.write(f"{label}: {count}")
