"""URLs of the web shell (namespace "web")."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import auth, tokens, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/kode/", auth.login_code, name="login_code"),
    path("akun/autentikator/", auth.second_factor, name="second_factor"),
    path("akun/token/", tokens.token_list, name="tokens"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("switch/", views.switch_membership, name="switch"),
    path("language/", views.set_language, name="set_language"),
    path("map/", views.map_page, name="map"),
    path("map/boundaries.geojson", views.map_boundaries, name="map_boundaries"),
    path("organizations/", views.organization_list, name="organizations"),
    path("organizations/<int:org_id>/", views.organization_detail, name="organization"),
    path("regions/", views.region_search, name="regions"),
    path("audit/", views.audit_list, name="audit"),
]
