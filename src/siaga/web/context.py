"""Template context for the page shell: menu, memberships for the switcher, languages, data credits."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from siaga.core.pages import get_actor

from .navigation import menu_for



def region_name(code: str) -> str:
    from siaga.geo.models import Region

    return Region.objects.filter(code=code).values_list("name", flat=True).first() or ""


def scope_label(scope_code: str) -> str:
    """"Kota Mojokerto (35.76)" for a scope, "National" for the empty scope."""
    if not scope_code:
        return _("National")
    name = region_name(scope_code)
    return f"{name} ({scope_code})" if name else scope_code


class Shell:
    """Everything base.html needs; computed only when a template asks, so admin and JSON pay nothing."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def actor(self):
        return get_actor(self.request)

    @cached_property
    def menu(self):
        return menu_for(self.request, self.actor)

    @cached_property
    def memberships(self):
        user = getattr(self.request, "user", None)
        if not user or not user.is_authenticated:
            return []
        from siaga.core.models import Membership

        return list(
            Membership.objects.filter(user=user, active=True, organization__active=True)
            .select_related("organization")
            .order_by("organization__name", "role")
        )

    @cached_property
    def membership_id(self):
        actor = self.actor
        return actor.membership.pk if actor is not None and actor.membership is not None else None

    @cached_property
    def scope_label(self):
        return scope_label(self.actor.scope_code) if self.actor is not None else ""

    @property
    def languages(self):
        # Each language is named in itself, so a user who cannot read the current one still finds theirs.
        return [{"code": code, "name": get_language_info(code)["name_local"]} for code, _name in settings.LANGUAGES]


def shell(request):
    return {"shell": Shell(request)}
