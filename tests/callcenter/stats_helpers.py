"""A hand-built call-center dataset with known timestamps, for the evaluation figures and exports.

Everything happens in Call Center 112 Kabupaten Mojokerto (WIB, UTC+7) between 1 and 3 May 2026:

  calls   07:00 c1 phone +6281111111111 answered +10 s  -> incident i1 (P1) created 60 s after answer
          07:10 c2 phone +6282222222222 answered +5 s   -> incident i2 (P1) created 180 s after answer
          22:00 1 May, 22:30 and 23:00 2 May: +6283333333333 prank, silent, prank
          08:00 2 May c4 sms +6284444444444              -> incident i3 (P3) created 120 s after it
          09:00 3 May accidental (no number), 10:00 information, 11:00 still open
          plus one call on 30 April 23:59 and one on 4 May 00:00 (outside), one at another call center
  referrals (ack seconds, committed seconds after the incident)
          i1: PSC ack 60 (in time) committed 240; police ack 180 (deadline 120: late)
          i2: PSC ack 30 committed 900 (target P1 600: over); police never answered (deadline passed)
          i3: PSC ack 600 committed 1800 (target P3 3600: within)
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from siaga.callcenter.models import Call, Incident, IncidentType, PriorityPolicy, Referral

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 5, 5, 12, 0, tzinfo=WIB)
PRANKSTER = "+6283333333333"
_numbers = itertools.count(1)


def at(day: int, hh: int, mm: int = 0, ss: int = 0, month: int = 5) -> dt.datetime:
    return dt.datetime(2026, month, day, hh, mm, ss, tzinfo=WIB)


def secs(base: dt.datetime, seconds: float) -> dt.datetime:
    return base + dt.timedelta(seconds=seconds)


def make_call(org, started, *, number="", channel="phone", answer_after=None, outcome="", reason="", incident=None,
              ended_after=None):
    answered = secs(started, answer_after) if answer_after is not None else None
    return Call.objects.create(
        organization=org, channel=channel, caller_number=number, started_at=started, answered_at=answered,
        ended_at=secs(started, ended_after) if ended_after is not None else None,
        outcome=outcome, outcome_reason=reason, incident=incident,
    )


def make_incident(org, type_, created, *, priority, region_code="35.16.01"):
    return Incident.objects.create(
        organization=org, number=f"112-2026-{next(_numbers):06d}", type=type_, priority=priority,
        suggested_priority=priority, region_code=region_code, tracking_token=secrets.token_urlsafe(16),
        created_at=created,
    )


def make_referral(incident, agency, *, deadline_after, ack_after=None, commit_after=None, status=None):
    base = incident.created_at
    if status is None:
        status = "committed" if commit_after is not None else ("acknowledged" if ack_after is not None else "requested")
    return Referral.objects.create(
        incident=incident, agency=agency, status=status, requested_at=base, ack_deadline=secs(base, deadline_after),
        acknowledged_at=secs(base, ack_after) if ack_after is not None else None,
        committed_at=secs(base, commit_after) if commit_after is not None else None,
    )


@pytest.fixture
def dataset(cc):
    """The dataset above, on top of the call-center fixture (cc.org, cc.psc, cc.police, cc.other)."""
    PriorityPolicy.objects.update_or_create(priority=1, defaults={"response_target_minutes": 10,
                                                                  "ack_deadline_minutes": 2})
    PriorityPolicy.objects.update_or_create(priority=3, defaults={"response_target_minutes": 60,
                                                                  "ack_deadline_minutes": 15})
    org = cc.org
    crash = IncidentType.objects.get(code="kecelakaan-lalu-lintas")

    c1 = make_call(org, at(1, 7), number="+6281111111111", answer_after=10, ended_after=300)
    i1 = make_incident(org, crash, secs(c1.answered_at, 60), priority=1)
    c1.outcome, c1.incident = "new_incident", i1
    c1.save()
    c2 = make_call(org, at(1, 7, 10), number="+6282222222222", answer_after=5)
    i2 = make_incident(org, crash, secs(c2.answered_at, 180), priority=1)
    c2.outcome, c2.incident = "new_incident", i2
    c2.save()
    make_call(org, at(1, 22), number=PRANKSTER, answer_after=3, outcome="prank", reason="Tertawa")
    make_call(org, at(2, 22, 30), number=PRANKSTER, answer_after=3, outcome="silent", reason="Tidak ada suara")
    make_call(org, at(2, 23), number=PRANKSTER, answer_after=3, outcome="prank", reason="=HYPERLINK(\"x\")")
    c4 = make_call(org, at(2, 8), number="+6284444444444", channel="sms", answer_after=0)
    i3 = make_incident(org, crash, secs(c4.answered_at, 120), priority=3)
    c4.outcome, c4.incident = "new_incident", i3
    c4.save()
    make_call(org, at(3, 9), answer_after=2, outcome="accidental", reason="Kantong")
    make_call(org, at(3, 10), number="+6285555555555", answer_after=2, outcome="information", reason="Nomor RS")
    make_call(org, at(3, 11), number="+6286666666666", answer_after=2)
    # Outside the period or the call center.
    make_call(org, at(30, 23, 59, month=4), number=PRANKSTER, answer_after=1, outcome="prank", reason="x")
    make_call(org, at(4, 0), number=PRANKSTER, answer_after=1, outcome="prank", reason="x")
    make_call(cc.other, at(2, 12), number="+6287777777777", answer_after=1, outcome="prank", reason="x")
    make_incident(cc.other, crash, at(2, 12, 1), priority=1, region_code="35.76.01")

    make_referral(i1, cc.psc, deadline_after=120, ack_after=60, commit_after=240)
    make_referral(i1, cc.police, deadline_after=120, ack_after=180)
    make_referral(i2, cc.psc, deadline_after=120, ack_after=30, commit_after=900)
    make_referral(i2, cc.police, deadline_after=120)
    make_referral(i3, cc.psc, deadline_after=900, ack_after=600, commit_after=1800)
    return SimpleNamespace(cc=cc, incidents=[i1, i2, i3], params={"from": "2026-05-01", "to": "2026-05-03"})
