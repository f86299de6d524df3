"""GOV.UK Design System rendering for Django forms.

Every form renders its fields through templates/govuk/field.html (label, hint, error message,
widget with GOV.UK classes) and the page shows an error summary linking to each bad field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting


class GovUKFormRenderer(TemplatesSetting):
    form_template_name = "govuk/form.html"
    field_template_name = "govuk/field.html"


_WIDGET_CLASSES: list[tuple[type[forms.Widget], str]] = [
    (forms.CheckboxSelectMultiple, "govuk-checkboxes__input"),
    (forms.RadioSelect, "govuk-radios__input"),
    (forms.CheckboxInput, "govuk-checkboxes__input"),
    (forms.Select, "govuk-select"),
    (forms.Textarea, "govuk-textarea"),
    (forms.widgets.Input, "govuk-input"),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class GovUKFormMixin:
    """Adds GOV.UK classes to widgets and error classes to fields that failed validation."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            for widget_type, css in _WIDGET_CLASSES:
                if isinstance(widget, widget_type):
                    widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
                    break

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        errors: dict[str, Any] = getattr(self, "_errors", None) or {}
        for name in errors:
            if name in self.fields:
                widget = self.fields[name].widget
                base = widget.attrs.get("class", "")
                if "govuk-input" in base and "--error" not in base:
                    widget.attrs["class"] = base + " govuk-input--error"
                elif "govuk-select" in base and "--error" not in base:
                    widget.attrs["class"] = base + " govuk-select--error"
                elif "govuk-textarea" in base and "--error" not in base:
                    widget.attrs["class"] = base + " govuk-textarea--error"


class GovUKForm(GovUKFormMixin, forms.Form):
    pass


class GovUKModelForm(GovUKFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    pass


def add_service_errors(
    form: forms.BaseForm, error: ValidationError, aliases: Mapping[str, str] | None = None
) -> None:
    """Show a service's ValidationError on the form: on the named field when the form has it
    (`aliases` maps a service's field name to the form's), else at the top of the summary."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            name = (aliases or {}).get(name, name)
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
