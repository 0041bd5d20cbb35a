"""Call-center pages for staff: the operations screens and the agencies' referral pages."""

from django.urls import include, path

app_name = "callcenter"
urlpatterns = [
    path("", include("siaga.callcenter.urls_ops")),
    path("rujukan/", include("siaga.callcenter.urls_referrals")),
]
