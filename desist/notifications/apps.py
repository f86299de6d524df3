from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "desist.notifications"
    label = "notifications"
    verbose_name = "Notifications"
