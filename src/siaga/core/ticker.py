"""Deadline jobs run inside every `siaga serve` process, so the one-process install needs no separate worker.

Alarms that must fire within seconds (an ambulance crew that has not acknowledged, an agency past
its referral deadline) cannot wait for huey's one-minute crontab. Each job here claims its rows
with a conditional update, so running it in several server processes (and in the huey consumer,
which keeps its periodic copies as a backstop) never raises an alarm twice.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time

logger = logging.getLogger(__name__)

# dotted path of a function taking no arguments -> interval in seconds
JOBS: dict[str, float] = {
    "siaga.dispatch.services.raise_ack_alarms": 5.0,
    "siaga.callcenter.referrals.escalate_overdue": 15.0,
    "siaga.core.bus.relay_unpublished": 30.0,
    "siaga.core.tokens.flush_last_used": 60.0,
}

_started = threading.Event()


def _resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def run_due(state: dict[str, float], now: float) -> list[str]:
    """Run every job whose interval has passed since its last run; returns the names run."""
    from django.db import close_old_connections

    ran = []
    for path, interval in JOBS.items():
        if now - state.get(path, float("-inf")) < interval:
            continue
        state[path] = now
        close_old_connections()
        try:
            _resolve(path)()
            ran.append(path)
        except Exception:  # a failing job must not stop the others (nor kill the thread)
            logger.exception("ticker job %s failed", path)
        finally:
            close_old_connections()
    return ran


def _loop(stop: threading.Event) -> None:
    state: dict[str, float] = {}
    while not stop.wait(1.0):
        run_due(state, time.monotonic())


def start() -> threading.Event | None:
    """Start the ticker thread once per process when SIAGA_TICKER=1 (set by `siaga serve`)."""
    if os.environ.get("SIAGA_TICKER") != "1" or _started.is_set():
        return None
    _started.set()
    stop = threading.Event()
    threading.Thread(target=_loop, args=(stop,), name="siaga-ticker", daemon=True).start()
    return stop
