"""Blood service pages."""

app_name = "blood"
urlpatterns: list = []
