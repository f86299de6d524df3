from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models

from desist.accounts.constants import ROLE_ORGANISATION_KINDS, OrganisationKind, Role


class Region(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    regions = models.ManyToManyField(Region, related_name="organisations", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in, or a service account that uses an API token."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="users", null=True, blank=True
    )
    is_service_account = models.BooleanField(
        default=False, help_text="Signs in to the API with a token only; cannot use web pages."
    )

    @cached_property
    def roles(self) -> frozenset[str]:
        """The roles this user effectively holds: granted, and valid for their organisation."""
        if not self.is_active or self.organisation_id is None:
            return frozenset()
        kind = self.organisation.kind if self.organisation else ""
        granted = {grant.role for grant in self.role_grants.all()}
        return frozenset(r for r in granted if kind in ROLE_ORGANISATION_KINDS.get(r, frozenset()))

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class RoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=30, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="unique_role_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"
