from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict

register = template.Library()


@register.filter
def widget_type(bound_field: Any) -> str:
    return str(bound_field.field.widget.__class__.__name__).lower().removesuffix("input") or ""


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    query: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


_CSS_BY_WIDGET = {
    "checkbox": "govuk-checkboxes__input",
    "select": "govuk-select",
    "textarea": "govuk-textarea",
}


@register.filter
def govuk_widget(bound_field: Any) -> Any:
    """The field's widget with GOV.UK classes, for forms that do not use GovUKFormMixin."""
    if bound_field.field.widget.attrs.get("class"):
        return bound_field.as_widget()
    css = _CSS_BY_WIDGET.get(widget_type(bound_field), "govuk-input")
    if bound_field.errors:
        css += " govuk-input--error" if css == "govuk-input" else ""
    return bound_field.as_widget(attrs={"class": css})


def _label_sets() -> dict[str, Any]:
    from desist.people.constants import Sex
    from desist.providers.constants import FaithTradition, Language, Specialism

    return {"specialism": Specialism, "language": Language, "faith": FaithTradition, "sex": Sex}


@register.filter
def labels(codes: Any, kind: str) -> str:
    """Stored codes shown by name: ["ur", "ar"]|labels:"language" gives "Urdu, Arabic"."""
    choices = _label_sets()[kind]
    names = []
    for code in codes or ():
        try:
            names.append(str(choices(code).label))
        except ValueError:
            names.append(str(code))
    return ", ".join(names)
