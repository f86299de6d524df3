"""Admin pages for delivery. Only the compliance thresholds are edited here: that is how a
programme sets, per kind of legal basis, when a warning or breach action is to be considered.

Plans, sessions, concerns and the rest are not registered: they hold participants' details and
session notes, which the access gate keeps from administrators, and they change only through
the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from desist.accounts.models import User
from desist.delivery import rules
from desist.delivery.models import ComplianceRule
from desist.delivery.services import compliance_rule_save


class ComplianceRuleForm(forms.ModelForm[ComplianceRule]):
    class Meta:
        model = ComplianceRule
        fields = ["legal_basis_kind", "warning_after", "breach_after", "window_months"]
        fields += ["decision_working_days"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        names = ("warning_after", "breach_after", "window_months", "decision_working_days")
        if all(data.get(name) is not None for name in names):
            rules.check_thresholds(**{name: data[name] for name in names})
        return data


@admin.register(ComplianceRule)
class ComplianceRuleAdmin(admin.ModelAdmin[ComplianceRule]):
    form = ComplianceRuleForm
    list_display = [
        "legal_basis_kind",
        "warning_after",
        "breach_after",
        "window_months",
        "decision_working_days",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The kind identifies the rule; change the numbers, not what they apply to.
        return ["legal_basis_kind"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: ComplianceRule, form: Any, change: bool
    ) -> None:
        actor = request.user if isinstance(request.user, User) else None
        compliance_rule_save(actor=actor, rule=obj, data=form.cleaned_data)
