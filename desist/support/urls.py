"""Person-centred support pages. Everything about one person sits under
/participants/<participant_uuid>/ (gate first); the service directory and the releases
countdown are lists of their own. Each area keeps its own patterns in urls_<area>.py."""

from desist.support import urls_assessments, urls_directory, urls_plan, urls_release

app_name = "support"

urlpatterns = [
    *urls_assessments.urlpatterns,
    *urls_plan.urlpatterns,
    *urls_directory.urlpatterns,
    *urls_release.urlpatterns,
]
