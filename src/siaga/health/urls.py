"""Community health pages."""

app_name = "health"
urlpatterns: list = []
