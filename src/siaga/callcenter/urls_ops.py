"""Call-center pages (being built)."""

urlpatterns = []
