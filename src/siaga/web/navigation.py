"""The menu: which entries each permission unlocks; the permission module decides, templates only render."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# Pseudo-permissions for entries that do not depend on a role: any signed-in user, and Django staff.
SIGNED_IN = ""
STAFF = "@staff"


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    # A short glyph shown before the label; plain text, so it costs nothing to download.
    icon: str = ""
    # Other pages that belong under this entry (a detail page under its list), to mark it current.
    also: tuple[str, ...] = ()


# Order here is the order in the menu. A capability adds one line when its pages exist, e.g.
#   "incident.view": [NavEntry(<translated "Call center">, "callcenter:incidents", "☎")],
# and likewise "unit.view" (Dispatch), "blood.view" (Darah), "disaster.view" (Bencana), "health.view" (Posyandu).
NAVIGATION: dict[str, list[NavEntry]] = {
    SIGNED_IN: [NavEntry(_("Home"), "web:home", "⌂")],
    "call.create": [NavEntry(_("Take a call"), "callcenter:calltaker", "☎")],
    "incident.view": [NavEntry(_("Incidents"), "callcenter:board", "⚑", also=("callcenter:incident",))],
    "referral.view": [NavEntry(_("Referral board"), "callcenter:referrals_board", "⇄")],
    "referral.respond": [NavEntry(_("Our referrals"), "callcenter:referrals_agency", "✔")],
    "callcenter.stats": [NavEntry(_("Evaluation"), "callcenter:evaluation", "▤")],
    "unit.update_status": [NavEntry(_("Crew"), "dispatch:crew", "🚑")],
    "dispatch.create": [NavEntry(_("Dispatch console"), "dispatch:console", "✚")],
    "unit.view": [NavEntry(_("Fleet"), "dispatch:fleet", "▣", also=("dispatch:roster", "dispatch:roster_warnings"))],
    "dispatch.stats": [NavEntry(_("Response times"), "dispatch:stats", "⏱")],
    "blood.view": [NavEntry(_("Blood stock"), "blood:dashboard", "🩸",
                            also=("blood:donation", "blood:screening", "blood:sessions", "blood:trace")),
                   NavEntry(_("Donors"), "blood:donors", "☺", also=("blood:donor",)),
                   NavEntry(_("Blood requests"), "blood:requests", "⇢", also=("blood:request", "blood:request_new")),
                   NavEntry(_("Blood transfers"), "blood:transfers", "⇄", also=("blood:transfer",)),
                   NavEntry(_("Donor recall"), "blood:recalls", "☏", also=("blood:recall",))],
    "blood.stats": [NavEntry(_("Blood statistics"), "blood:blood_stats", "▥")],
    "hospital.view": [NavEntry(_("Hospitals"), "dispatch:hospitals", "⚕")],
    "hospital.manage": [NavEntry(_("Our capacity"), "dispatch:hospital_capacity", "±")],
    "disaster.view": [NavEntry(_("Early warnings"), "disaster:warnings", "⚠", also=("disaster:warning", "disaster:alert_new")),
                      NavEntry(_("Disaster events"), "disaster:events", "⛑", also=("disaster:event",)),
                      NavEntry(_("Disaster reports"), "disaster_reports:index", "▤",
                               also=("disaster_reports:event", "disaster_reports:sitrep", "disaster_reports:activities",
                                     "disaster_reports:issued")),
                      NavEntry(_("Mutual aid"), "disaster_mutualaid:list", "⇄",
                               also=("disaster_mutualaid:detail", "disaster_mutualaid:new")),
                      NavEntry(_("Readiness"), "disaster_readiness:overview", "◔",
                               also=("disaster_readiness:sop", "disaster_readiness:drill_new",
                                     "disaster_readiness:checklist_new")),
                      NavEntry(_("Training"), "disaster_readiness:modules", "✎", also=("disaster_readiness:module",)),
                      NavEntry(_("Risk map"), "disaster_readiness:map", "◈")],
    "disaster.manage": [NavEntry(_("Write an alert"), "disaster:alert_new", "✉"),
                        NavEntry(_("Feed error queue"), "disaster:dead_letters", "⚙")],
    "volunteer.view": [NavEntry(_("Volunteers"), "disaster_volunteers:list", "☺",
                                also=("disaster_volunteers:detail", "disaster_volunteers:register",
                                      "disaster_volunteers:candidates")),
                       NavEntry(_("Team activation"), "disaster_teams:index", "⚑",
                                also=("disaster_teams:event", "disaster_teams:team"))],
    "volunteer.respond": [NavEntry(_("My alerts"), "disaster_teams:mine", "✋"),
                          NavEntry(_("My volunteer record"), "disaster_volunteers:me", "☺")],
    "logistics.view": [NavEntry(_("Relief logistics"), "disaster_logistics:stock", "▤",
                                also=("disaster_logistics:alerts", "disaster_logistics:shipments",
                                      "disaster_logistics:shipment", "disaster_logistics:distributions",
                                      "disaster_logistics:warehouses", "disaster_logistics:needs",
                                      "disaster_logistics:needs_event"))],
    "health.view": [NavEntry(_("Posyandu"), "health:index", "♥", also=("health:session", "health:child", "health:import")),
                    NavEntry(_("Life-cycle services"), "health_lifecycle:index", "✚",
                             also=("health_lifecycle:due", "health_lifecycle:pregnancies", "health_lifecycle:pregnancy",
                                   "health_lifecycle:people", "health_lifecycle:card", "health_lifecycle:screening")),
                    NavEntry(_("Problems and plans"), "health_plans:index", "✎",
                             also=("health_plans:posyandu", "health_plans:plan"))],
    "health.dashboard": [NavEntry(_("PWS dashboard"), "health_pws:index", "▦",
                                  also=("health_pws:area", "health_pws:posyandu", "health_pws:area_follow_up",
                                        "health_pws:posyandu_follow_up"))],
    "vital_event.view": [NavEntry(_("Births and deaths"), "health_vital:queue", "✎",
                                  also=("health_vital:detail", "health_vital:notify", "health_vital:resubmit"))],
    "map.view": [NavEntry(_("Map"), "web:map", "◈")],
    "routing.view": [NavEntry(_("Coverage"), "routing:coverage", "◎"),
                     NavEntry(_("Road closures"), "routing:closures", "⛔")],
    "organization.view": [NavEntry(_("Organisations"), "web:organizations", "▦", also=("web:organization",))],
    "region.view": [NavEntry(_("Regions"), "web:regions", "⌕")],
    "dashboard.view": [NavEntry(_("Annual report"), "annual:year", "▧", also=("annual:records",))],
    "audit.view": [NavEntry(_("Audit trail"), "web:audit", "☰")],
    "membership.manage": [NavEntry(_("API tokens"), "web:tokens", "⚿")],
    STAFF: [NavEntry(_("Admin"), "admin:index", "⚙")],
}


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    icon: str
    current: bool


def allowed(perm: str, user, actor) -> bool:
    if perm == SIGNED_IN:
        return bool(user and user.is_authenticated)
    if perm == STAFF:
        return bool(user and user.is_authenticated and user.is_staff)
    return actor is not None and actor.has(perm)


def menu_for(request, actor) -> list[MenuItem]:
    """The entries this request's user may open, in menu order, the current page marked."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    current_view = match.view_name if match else None
    items = []
    for perm, entries in NAVIGATION.items():
        if not allowed(perm, user, actor):
            continue
        for entry in entries:
            try:
                url = reverse(entry.url_name)
            except NoReverseMatch:
                # A capability whose pages are not installed yet; tests check every entry resolves.
                continue
            current = current_view == entry.url_name or current_view in entry.also
            items.append(MenuItem(str(entry.label), url, entry.icon, current))
    return items
