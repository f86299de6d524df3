from __future__ import annotations

from typing import Any

from rest_framework import serializers

from desist.accounts.access import visible_field_groups
from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import Organisation, Region, User
from desist.people.constants import FieldGroup
from desist.people.identifiers import crn_error, normalise_pnc, pnc_error, prison_number_error
from desist.people.models import Alias, LegalBasis, Participant

FIELD_GROUPS: dict[str, FieldGroup] = {
    "given_name": FieldGroup.IDENTITY,
    "family_name": FieldGroup.IDENTITY,
    "date_of_birth": FieldGroup.IDENTITY,
    "sex": FieldGroup.IDENTITY,
    "gender_identity": FieldGroup.IDENTITY,
    "aliases": FieldGroup.IDENTITY,
    "pnc_number": FieldGroup.IDENTIFIERS,
    "prison_number": FieldGroup.IDENTIFIERS,
    "probation_crn": FieldGroup.IDENTIFIERS,
    "phone": FieldGroup.CONTACT,
    "email": FieldGroup.CONTACT,
    "address": FieldGroup.CONTACT,
    "region": FieldGroup.SUPERVISION,
    "strand": FieldGroup.SUPERVISION,
    "status": FieldGroup.SUPERVISION,
    "referral_date": FieldGroup.SUPERVISION,
    "supervising_organisation": FieldGroup.SUPERVISION,
    "supervising_officer": FieldGroup.SUPERVISION,
    "agencies": FieldGroup.SUPERVISION,
    "legal_bases": FieldGroup.SUPERVISION,
    "mappa_category": FieldGroup.RISK,
    "mappa_level": FieldGroup.RISK,
    "custody_establishment": FieldGroup.CUSTODY,
    "expected_release_date": FieldGroup.CUSTODY,
}


class AliasSerializer(serializers.ModelSerializer[Alias]):
    class Meta:
        model = Alias
        fields = ["given_name", "family_name"]


class LegalBasisSerializer(serializers.ModelSerializer[LegalBasis]):
    class Meta:
        model = LegalBasis
        fields = ["id", "kind", "start_date", "end_date", "attendance_mandatory"]


class ParticipantSerializer(serializers.ModelSerializer[Participant]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    supervising_organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all()
    )
    supervising_officer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    agencies = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.exclude(kind=OrganisationKind.PROVIDER),
        many=True,
        required=False,
    )
    aliases = AliasSerializer(many=True, read_only=True)
    legal_bases = LegalBasisSerializer(many=True, read_only=True)

    class Meta:
        model = Participant
        fields = ["id", "reference", *FIELD_GROUPS]
        read_only_fields = ["status"]

    def to_representation(self, instance: Participant) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        groups = visible_field_groups(request.user, instance) if request else frozenset()
        # Only the field groups the gate grants this user for this participant.
        return {
            key: value
            for key, value in data.items()
            if key in ("id", "reference") or FIELD_GROUPS.get(key) in groups
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The same rules as the page form (desist.people.forms.ParticipantForm).
        request = self.context.get("request")
        user = getattr(request, "user", None)
        organisation = attrs.get(
            "supervising_organisation", getattr(self.instance, "supervising_organisation", None)
        )
        if (
            "supervising_organisation" in attrs
            and user is not None
            and not user.has_role(Role.PROGRAMME_MANAGER)
            and organisation is not None
            and organisation.pk != user.organisation_id
        ):
            raise serializers.ValidationError(
                {"supervising_organisation": ["You can create cases for your organisation only."]}
            )
        officer = attrs.get("supervising_officer")
        if (
            officer is not None
            and organisation is not None
            and officer.organisation_id != organisation.pk
        ):
            raise serializers.ValidationError(
                {"supervising_officer": ["The supervising officer must work for that organisation"]}
            )
        return attrs

    def validate_pnc_number(self, value: str) -> str:
        value = value.strip().upper()
        if value and (error := pnc_error(value)):
            raise serializers.ValidationError(error)
        return normalise_pnc(value) if value else value

    def validate_prison_number(self, value: str) -> str:
        value = value.strip().upper()
        if value and (error := prison_number_error(value)):
            raise serializers.ValidationError(error)
        return value

    def validate_probation_crn(self, value: str) -> str:
        value = value.strip().upper()
        if value and (error := crn_error(value)):
            raise serializers.ValidationError(error)
        return value


class PseudonymisedParticipantSerializer(serializers.ModelSerializer[Participant]):
    year_of_birth = serializers.SerializerMethodField()
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Participant
        fields = ["pseudonym", "year_of_birth", "sex", "strand", "status", "region"]

    def get_year_of_birth(self, obj: Participant) -> int:
        return obj.date_of_birth.year


class SearchSerializer(serializers.Serializer[Any]):
    q = serializers.CharField(max_length=100)
