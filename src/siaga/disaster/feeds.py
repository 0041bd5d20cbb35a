"""Polling BMKG feeds: fetch a FeedSource's URL and hand each item to the importers in services.

All network access goes through fetch(), which tests replace; a feed that cannot be reached records
its error on the FeedSource and is tried again at its next interval.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urljoin

from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core.permissions import Actor, system_actor

from . import cap, services
from .models import FeedItemError, FeedSource, Warning, WarningSource

TIMEOUT_SECONDS = 20
USER_AGENT = "Siaga/1 (+early warning ingest)"


class FetchError(Exception):
    pass


def fetch(url: str) -> bytes:
    """GET a feed URL (size-limited); raises FetchError."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - admin-set URL
            data = response.read(cap.MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FetchError(str(exc)) from exc
    if len(data) > cap.MAX_BYTES:
        raise FetchError(_("The response is larger than %(n)d bytes.") % {"n": cap.MAX_BYTES})
    return data


@dataclass
class PollReport:
    source_id: int
    ok: bool = True
    error: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1


def _known_cap_identifiers(identifiers: list[str]) -> set[str]:
    return set(Warning.objects.filter(source=WarningSource.BMKG_CAP, identifier__in=identifiers)
               .values_list("identifier", flat=True))


def _poll_rss(actor: Actor, src: FeedSource, data: bytes, report: PollReport) -> None:
    items = cap.parse_rss_index(data)
    known = _known_cap_identifiers([i.guid for i in items])
    links = [urljoin(src.url, i.link) for i in items]
    # A link already kept in the dead-letter list waits for review instead of piling up a copy per poll.
    dead = set(FeedItemError.objects.filter(source__in=links).exclude(reason=FeedItemError.Reason.FETCH)
               .values_list("source", flat=True))
    for item, link in zip(items, links):
        if item.guid in known or link in dead:
            report.add("known")
            continue
        try:
            body = fetch(link)
        except FetchError as exc:
            report.add("fetch_failed")
            report.error = str(exc)[:500]
            continue
        report.add(services.ingest_cap(actor, body, source_name=link, mode=services.POLL, feed_source=src).status)


def poll_source(src: FeedSource, actor: Actor | None = None) -> PollReport:
    """Poll one feed now, whatever its interval."""
    actor = actor or system_actor()
    report = PollReport(src.pk)
    try:
        data = fetch(src.url)
        if src.kind == FeedSource.Kind.CAP_RSS:
            _poll_rss(actor, src, data, report)
        elif src.kind == FeedSource.Kind.CAP:
            report.add(services.ingest_cap(actor, data, source_name=src.url, mode=services.POLL,
                                           feed_source=src).status)
        elif src.kind == FeedSource.Kind.QUAKE_JSON:
            for result in services.ingest_quakes(actor, data, source_name=src.url, mode=services.POLL,
                                                 feed_source=src):
                report.add(result.status)
        elif src.kind == FeedSource.Kind.SHAKEMAP:
            report.add(services.ingest_shakemap(actor, data, source_name=src.url, mode=services.POLL,
                                                feed_source=src).status)
    except FetchError as exc:
        report.ok, report.error = False, str(exc)[:500]
    except cap.ParseError as exc:
        # The index itself is unusable: keep it for review like any other feed item.
        services.dead_letter(src.url, src.kind, FeedItemError.Reason.MALFORMED, exc.message,
                             locals().get("data", b""), feed_source=src)
        report.ok, report.error = False, exc.message
    now = timezone.now()
    fields = {"last_polled_at": now, "last_error": report.error,
              "last_new_items": report.counts.get("created", 0) + report.counts.get("updated", 0)}
    if report.ok:
        fields["last_ok_at"] = now
    FeedSource.objects.filter(pk=src.pk).update(**fields)
    return report


def due_sources(now=None):
    now = now or timezone.now()
    sources = FeedSource.objects.filter(enabled=True).order_by("pk")
    return [s for s in sources if s.last_polled_at is None
            or (now - s.last_polled_at).total_seconds() >= s.interval_seconds]


def poll_due(now=None) -> list[PollReport]:
    """Poll every enabled feed whose interval has passed; a claim by conditional update keeps two workers
    from polling the same feed at once."""
    now = now or timezone.now()
    reports = []
    for src in due_sources(now):
        claimed = FeedSource.objects.filter(pk=src.pk, last_polled_at=src.last_polled_at).update(last_polled_at=now)
        if not claimed:
            continue
        reports.append(poll_source(src))
    return reports
