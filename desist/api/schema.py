"""OpenAPI descriptions of our authentication classes (imported by ApiConfig.ready)."""

from drf_spectacular.authentication import SessionScheme


class MFASessionScheme(SessionScheme):  # type: ignore[no-untyped-call]
    target_class = "desist.api.authentication.MFASessionAuthentication"
    name = "cookieAuth"
