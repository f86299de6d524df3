from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "desist.providers"
    label = "providers"
    verbose_name = "Intervention providers"
