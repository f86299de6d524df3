from __future__ import annotations

from conftest import World
from desist.audit.models import AuditEvent
from desist.delivery.models import ComplianceRule
from desist.people.constants import LegalBasisKind


def _form(rule: ComplianceRule, **changes: int) -> dict[str, int]:
    data = {
        "warning_after": rule.warning_after,
        "breach_after": rule.breach_after,
        "window_months": rule.window_months,
        "decision_working_days": rule.decision_working_days,
    }
    return data | changes


def test_programme_changes_a_threshold_on_the_admin_pages_and_it_is_audited(
    world: World,
) -> None:
    client = world.client_for("administrator")
    rule = ComplianceRule.objects.get(legal_basis_kind=LegalBasisKind.TPIM_NOTICE)
    assert client.get("/admin/delivery/compliancerule/").status_code == 200

    response = client.post(
        f"/admin/delivery/compliancerule/{rule.pk}/change/", _form(rule, breach_after=3)
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.breach_after == 3
    event = AuditEvent.objects.get(entity="delivery.compliancerule")
    assert (event.action, event.actor_id) == ("update", world.personas["administrator"].pk)
    assert event.changes == {"breach_after": [2, 3]}


def test_thresholds_out_of_order_are_refused_on_the_admin_pages(world: World) -> None:
    client = world.client_for("administrator")
    rule = ComplianceRule.objects.get(legal_basis_kind=LegalBasisKind.LICENCE)

    response = client.post(
        f"/admin/delivery/compliancerule/{rule.pk}/change/",
        _form(rule, warning_after=3, breach_after=2),
    )

    assert response.status_code == 200
    assert "Breach action cannot be considered before a warning." in response.content.decode()
    rule.refresh_from_db()
    assert (rule.warning_after, rule.breach_after) == (1, 2)
    assert not AuditEvent.objects.filter(entity="delivery.compliancerule").exists()


def test_rules_cannot_be_deleted_and_other_records_are_not_in_the_admin(world: World) -> None:
    client = world.client_for("administrator")
    rule = ComplianceRule.objects.get(legal_basis_kind=LegalBasisKind.LICENCE)
    assert client.post(f"/admin/delivery/compliancerule/{rule.pk}/delete/").status_code == 403
    assert client.get("/admin/delivery/session/").status_code == 404
