"""The `siaga` command: serve, demo, import regions|boundaries, worker, and every Django management command."""

from __future__ import annotations

import os
import sys

USAGE = """siaga <command> [options]

  serve [--host H] [--port P] [--workers N]   serve the ASGI app with uvicorn
  demo                                        load the demo organisations and users (idempotent)
  import regions [--dir DIR]                  import all Kemendagri regions from idn-area-data
  import boundaries FILE [FILE ...]           import region boundaries from GeoJSON
  import roads FILE --region CODE             compile a road network (OSM .pbf or OSMnx GraphML)
  import cap FILE [FILE ...]                  import BMKG CAP 1.2 alerts (or an RSS index)
  import quake FILE [FILE ...] [--mmi N]      import BMKG earthquake JSON or a ShakeMap grid
  import items FILE [--kits FILE]             import the relief item catalogue (IFRC CSV) and its kits
  worker [--workers N]                        run the huey consumer (background and periodic jobs)
  relay                                       publish outbox events the bus has not yet seen
  <django command> ...                        e.g. migrate, createsuperuser, shell
"""


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")
    import django

    django.setup()


def serve(argv: list[str]) -> int:
    import argparse

    import uvicorn

    p = argparse.ArgumentParser(prog="siaga serve")
    p.add_argument("--host", default=os.environ.get("SIAGA_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("SIAGA_PORT", "8000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("SIAGA_WORKERS", "1")))
    a = p.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")
    bus = os.environ.get("SIAGA_BUS", "memory")
    if a.workers > 1 and not bus.startswith(("redis://", "rediss://", "unix://")):
        print("siaga serve: --workers > 1 needs SIAGA_BUS=redis://... (the in-process bus cannot reach other "
              "workers' live streams)", file=sys.stderr)
        return 2
    # Deadline alarms run in every server process (see siaga.core.ticker); SIAGA_TICKER=0 turns them off.
    os.environ.setdefault("SIAGA_TICKER", "1")
    uvicorn.run(
        "siaga.asgi:application",
        host=a.host,
        port=a.port,
        workers=a.workers,
        log_level=os.environ.get("SIAGA_UVICORN_LOG", "info"),
        proxy_headers=True,
        timeout_graceful_shutdown=5,
        # Longer than any client's interval (trackers post every 5 s): an idle connection is not closed just
        # as the client reuses it.
        timeout_keep_alive=int(os.environ.get("SIAGA_KEEP_ALIVE_SECONDS", "75")),
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "serve":
        return serve(rest)
    _setup()
    from django.core.management import call_command, execute_from_command_line

    if cmd == "import":
        if not rest:
            print("siaga import regions|boundaries|roads|cap|quake|items ...", file=sys.stderr)
            return 2
        return call_command(f"import_{rest[0]}", *rest[1:]) or 0
    if cmd == "worker":
        execute_from_command_line(["siaga", "run_huey", *rest])
        return 0
    if cmd == "demo":
        from siaga import demo

        demo.run()
        return 0
    if cmd == "relay":
        return call_command("relay_events", *rest) or 0
    execute_from_command_line(["siaga", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
