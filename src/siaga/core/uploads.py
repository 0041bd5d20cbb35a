"""Upload limits and content-type checks shared by every import: refuse early, with a message the user can act on.

An import is refused before its content is read when the request or the file is larger than its limit
(413), and when the file is not of the kind the import reads (415): its name, the type the browser
declared and its first bytes must all agree. Browsers declare spreadsheets inconsistently (Windows says
application/vnd.ms-excel for a CSV, curl says application/octet-stream for anything), so each kind
accepts the declarations seen in practice and relies on the first bytes for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ServiceError

# Multipart framing around the file itself (boundaries, part headers, other small fields).
MULTIPART_SLACK_BYTES = 64 * 1024
# Declarations that say nothing about the content: judged by name and first bytes alone.
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/x-download"})
JSON_TYPES = frozenset({"application/json", "application/geo+json", "application/vnd.geo+json"})

_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"MZ", b"\x7fELF",
                 b"\x1f\x8b", b"RIFF", b"BZh", b"7z\xbc\xaf")


def _looks_like_text(head: bytes) -> bool:
    return b"\x00" not in head and not head.startswith(_BINARY_MAGIC)


def _sniff_spreadsheet(head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        return ".xlsx"
    return ".csv" if _looks_like_text(head) else None


def _sniff_json(head: bytes) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return ".geojson" if text[:1] in (b"{", b"[") else None


@dataclass(frozen=True)
class UploadKind:
    """What one import reads: file name endings, the declared types accepted, and a sniffer of first bytes."""

    label: str  # lazily translated, e.g. "a spreadsheet (.xlsx or .csv)"
    extensions: tuple[str, ...]
    content_types: frozenset[str]
    # First bytes -> the extension the content really has (None: none of ours); extensions sharing a
    # reader are one group (".json" and ".geojson" both sniff as ".geojson").
    sniff: Callable[[bytes], str | None]
    same_reader: dict[str, str] = field(default_factory=dict)


SPREADSHEET = UploadKind(
    label=gettext_lazy("a spreadsheet (.xlsx or .csv)"),
    extensions=(".xlsx", ".csv"),
    content_types=frozenset({
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/zip",
        "application/x-zip-compressed", "text/csv", "application/csv", "text/x-csv", "text/comma-separated-values",
        "application/vnd.ms-excel", "text/plain",
    }),
    sniff=_sniff_spreadsheet,
)

GEOJSON = UploadKind(
    label=gettext_lazy("a GeoJSON file (.geojson or .json)"),
    extensions=(".geojson", ".json"),
    content_types=JSON_TYPES | {"text/plain", "text/json"},
    sniff=_sniff_json,
    same_reader={".json": ".geojson"},
)


def too_large(size: int, limit: int) -> ServiceError:
    return ServiceError(
        _("The file is %(size)s; at most %(limit)s is accepted.") % {"size": _human(size), "limit": _human(limit)},
        code="file_too_large", details={"field": "file", "size_bytes": size, "max_bytes": limit}, status=413,
    )


def _human(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{max(n, 1) / 1024:.0f} KB" if n >= 1024 else f"{n} B"


def check_request_size(request, max_bytes: int, slack: int = MULTIPART_SLACK_BYTES) -> None:
    """Refuse by the declared Content-Length, before Django parses (and spools) the body."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes + slack:
        raise too_large(declared, max_bytes)


def declared_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def check_file(upload, kind: UploadKind, max_bytes: int) -> None:
    """Refuse a file above max_bytes (413) or not of this kind by name, declared type or first bytes (415)."""
    size = upload.size if upload.size is not None else 0
    if size > max_bytes:
        raise too_large(size, max_bytes)
    if size <= 0:
        raise ServiceError(_("The file is empty."), code="empty_file", details={"field": "file"})
    name = (upload.name or "").lower()
    ext = next((e for e in kind.extensions if name.endswith(e)), None)
    declared = declared_type(getattr(upload, "content_type", ""))
    if ext is None or (declared not in kind.content_types and declared not in GENERIC_TYPES):
        raise ServiceError(
            _("Only %(kind)s can be imported here, not %(name)s (%(type)s).")
            % {"kind": kind.label, "name": (upload.name or "-")[:80], "type": declared or "-"},
            code="unsupported_type", details={"field": "file", "content_type": declared[:60]}, status=415,
        )
    head = upload.read(512)
    upload.seek(0)
    actual = kind.sniff(head)
    if actual != kind.same_reader.get(ext, ext):
        raise ServiceError(
            _("The file's content is not %(kind)s, whatever its name says.") % {"kind": kind.label},
            code="content_mismatch", details={"field": "file", "name_says": ext, "content_is": actual}, status=415,
        )


def require_json(request) -> None:
    """Refuse a JSON-body import sent with another Content-Type (415)."""
    declared = declared_type(request.content_type)
    if declared not in JSON_TYPES:
        raise ServiceError(
            _("Send this import as application/json, not %(type)s.") % {"type": declared or "-"},
            code="unsupported_media_type", details={"content_type": declared[:60]}, status=415,
        )
