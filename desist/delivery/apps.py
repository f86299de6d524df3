from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "desist.delivery"
    label = "delivery"
    verbose_name = "Intervention delivery"
