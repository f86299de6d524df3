from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "desist.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from desist.api import schema  # noqa: F401  (registers the OpenAPI extensions)
