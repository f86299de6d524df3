from django.urls import path

from desist.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("<uuid:notification_uuid>/open/", views.notification_open, name="open"),
]
