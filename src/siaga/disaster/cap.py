"""CAP 1.2 (Common Alerting Protocol) reading, writing and rule checks; the BMKG nowcast RSS index.

Reading goes through defusedxml with DTDs forbidden: no entity expansion (billion laughs), no external
entities (XXE), no network access. Anything that is not a usable CAP 1.2 alert raises ParseError, and
only ParseError, whatever the input (a property test feeds arbitrary text).

Writing (to_xml) emits elements in the order of the CAP 1.2 schema; validate() checks a document
against the CAP 1.2 rules (required elements, element order, value lists, dateTime and polygon
formats) and returns the problems found, so an alert we publish can be checked before it leaves.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from xml.etree.ElementTree import Element, SubElement, tostring
from xml.etree.ElementTree import ParseError as XMLSyntaxError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
MAX_BYTES = 5 * 1024 * 1024

STATUS = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPE = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPE = ("Public", "Restricted", "Private")
CATEGORY = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE",
            "Other")
RESPONSE_TYPE = ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None")
URGENCY = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITY = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTY = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")

# The CAP 1.2 schema's sequences: element order inside <alert>, <info>, <resource> and <area>.
ALERT_ORDER = ("identifier", "sender", "sent", "status", "msgType", "source", "scope", "restriction", "addresses",
               "code", "note", "references", "incidents", "info")
INFO_ORDER = ("language", "category", "event", "responseType", "urgency", "severity", "certainty", "audience",
              "eventCode", "effective", "onset", "expires", "senderName", "headline", "description", "instruction",
              "web", "contact", "parameter", "resource", "area")
AREA_ORDER = ("areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling")
ALERT_REQUIRED = ("identifier", "sender", "sent", "status", "msgType", "scope")
INFO_REQUIRED = ("category", "event", "urgency", "severity", "certainty")

# CAP 1.2 dateTime: a numeric zone is required; "Z" is not allowed by the standard (accepted when reading).
DATETIME_STRICT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
DATETIME_LAX = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}:\d{2}|Z)$")
# identifier and sender: no spaces, commas or restricted characters (< and &).
TOKEN = re.compile(r"^[^\s,<&]+$")
NUMBER = r"[-+]?\d+(?:\.\d+)?"
PAIR = re.compile(rf"^({NUMBER}),({NUMBER})$")


class ParseError(ServiceError):
    """A feed item that is not a usable CAP alert (or earthquake report); the message says why."""

    status = 422
    code = "malformed_feed_item"


@dataclass
class CapArea:
    desc: str
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)  # rings of (lat, lon)
    circles: list[tuple[float, float, float]] = field(default_factory=list)  # (lat, lon, radius km)
    geocodes: list[tuple[str, str]] = field(default_factory=list)
    altitude: float | None = None
    ceiling: float | None = None


@dataclass
class CapInfo:
    language: str = "en-US"
    categories: list[str] = field(default_factory=list)
    event: str = ""
    response_types: list[str] = field(default_factory=list)
    urgency: str = ""
    severity: str = ""
    certainty: str = ""
    audience: str = ""
    event_codes: list[tuple[str, str]] = field(default_factory=list)
    effective: dt.datetime | None = None
    onset: dt.datetime | None = None
    expires: dt.datetime | None = None
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    web: str = ""
    contact: str = ""
    parameters: list[tuple[str, str]] = field(default_factory=list)
    areas: list[CapArea] = field(default_factory=list)


@dataclass
class CapAlert:
    identifier: str
    sender: str
    sent: dt.datetime
    status: str
    msg_type: str
    scope: str
    source: str = ""
    restriction: str = ""
    addresses: str = ""
    codes: list[str] = field(default_factory=list)
    note: str = ""
    references: list[tuple[str, str, str]] = field(default_factory=list)  # (sender, identifier, sent text)
    incidents: str = ""
    infos: list[CapInfo] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, dt.datetime]:
        """sender, identifier, sent: what names one CAP message."""
        return self.sender, self.identifier, self.sent

    def info_for(self, language_prefix: str) -> CapInfo | None:
        for info in self.infos:
            if (info.language or "en-US").lower().startswith(language_prefix):
                return info
        return None


# --- reading ----------------------------------------------------------------------------------------


def _local(tag) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _ns(tag) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _text(el) -> str:
    return (el.text or "").strip() if el is not None else ""


def parse_datetime(text: str, what: str, *, strict: bool = False) -> dt.datetime:
    text = (text or "").strip()
    pattern = DATETIME_STRICT if strict else DATETIME_LAX
    if not pattern.match(text):
        raise ParseError(_("%(what)s is not a CAP date and time with a time zone (YYYY-MM-DDThh:mm:ss+hh:mm): "
                           "%(value)s") % {"what": what, "value": text[:40]})
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(_("%(what)s is not a valid date and time: %(value)s") % {"what": what, "value": text[:40]})
    return value


def format_datetime_cap(value: dt.datetime) -> str:
    """A CAP 1.2 dateTime: seconds, numeric zone, never "Z"."""
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.replace(microsecond=0).isoformat()


def _pair(text: str, what: str) -> tuple[float, float]:
    m = PAIR.match(text)
    if not m:
        raise ParseError(_("%(what)s has a coordinate that is not lat,lon: %(value)s") % {"what": what,
                                                                                           "value": text[:40]})
    lat, lon = float(m.group(1)), float(m.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ParseError(_("%(what)s has a coordinate outside latitude/longitude ranges (CAP is lat,lon): "
                           "%(value)s") % {"what": what, "value": text[:40]})
    return lat, lon


def parse_polygon(text: str, what: str = "polygon") -> list[tuple[float, float]]:
    """A CAP polygon: at least four lat,lon pairs separated by spaces, the first equal to the last."""
    pairs = [_pair(token, what) for token in text.split()]
    if len(pairs) < 4:
        raise ParseError(_("%(what)s needs at least four coordinate pairs.") % {"what": what})
    if pairs[0] != pairs[-1]:
        raise ParseError(_("%(what)s is not closed: its first and last points differ.") % {"what": what})
    return pairs


def parse_circle(text: str, what: str = "circle") -> tuple[float, float, float]:
    parts = text.split()
    if len(parts) != 2:
        raise ParseError(_("%(what)s must be \"lat,lon radius\".") % {"what": what})
    lat, lon = _pair(parts[0], what)
    try:
        radius = float(parts[1])
    except ValueError:
        raise ParseError(_("%(what)s has a radius that is not a number.") % {"what": what})
    if not (0 <= radius < 20000):
        raise ParseError(_("%(what)s has a radius outside 0..20000 km.") % {"what": what})
    return lat, lon, radius


def _value_pairs(parent, tag: str) -> list[tuple[str, str]]:
    out = []
    for el in parent:
        if _local(el.tag) == tag:
            name = value = ""
            for child in el:
                if _local(child.tag) == "valueName":
                    name = _text(child)
                elif _local(child.tag) == "value":
                    value = _text(child)
            out.append((name, value))
    return out


def _one_of(value: str, allowed: tuple, what: str) -> str:
    if value not in allowed:
        raise ParseError(_("%(what)s must be one of %(allowed)s, not %(value)s.")
                         % {"what": what, "allowed": ", ".join(allowed), "value": value[:40] or "''"})
    return value


def _parse_area(el, n: int) -> CapArea:
    kids = {}
    for child in el:
        kids.setdefault(_local(child.tag), []).append(child)
    desc = _text((kids.get("areaDesc") or [None])[0])
    if not desc:
        raise ParseError(_("Area %(n)d has no areaDesc.") % {"n": n})
    area = CapArea(desc=desc)
    for i, p in enumerate(kids.get("polygon", []), 1):
        area.polygons.append(parse_polygon(_text(p), _("Polygon %(i)d of area %(n)d") % {"i": i, "n": n}))
    for i, c in enumerate(kids.get("circle", []), 1):
        area.circles.append(parse_circle(_text(c), _("Circle %(i)d of area %(n)d") % {"i": i, "n": n}))
    area.geocodes = _value_pairs(el, "geocode")
    for name in ("altitude", "ceiling"):
        if kids.get(name):
            try:
                setattr(area, name, float(_text(kids[name][0])))
            except ValueError:
                raise ParseError(_("Area %(n)d has a %(name)s that is not a number.") % {"n": n, "name": name})
    return area


def _parse_info(el, n: int) -> CapInfo:
    kids: dict[str, list] = {}
    for child in el:
        kids.setdefault(_local(child.tag), []).append(child)

    def one(name):
        return _text(kids[name][0]) if kids.get(name) else ""

    for name in INFO_REQUIRED:
        if not kids.get(name) or not one(name):
            raise ParseError(_("Info %(n)d has no %(name)s.") % {"n": n, "name": name})
    info = CapInfo(language=one("language") or "en-US")
    info.categories = [_one_of(_text(c), CATEGORY, "category") for c in kids["category"]]
    info.event = one("event")
    info.response_types = [_one_of(_text(c), RESPONSE_TYPE, "responseType") for c in kids.get("responseType", [])]
    info.urgency = _one_of(one("urgency"), URGENCY, "urgency")
    info.severity = _one_of(one("severity"), SEVERITY, "severity")
    certainty = one("certainty")
    # "Very Likely" was CAP 1.0's word; 1.2 keeps it for backward compatibility as "Likely".
    info.certainty = "Likely" if certainty == "Very Likely" else _one_of(certainty, CERTAINTY, "certainty")
    info.audience = one("audience")
    info.event_codes = _value_pairs(el, "eventCode")
    for name in ("effective", "onset", "expires"):
        if kids.get(name):
            setattr(info, name, parse_datetime(one(name), name))
    info.sender_name = one("senderName")
    info.headline = one("headline")
    info.description = one("description")
    info.instruction = one("instruction")
    info.web = one("web")
    info.contact = one("contact")
    info.parameters = _value_pairs(el, "parameter")
    info.areas = [_parse_area(a, i) for i, a in enumerate(kids.get("area", []), 1)]
    return info


def _root(data) -> Element:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass") if data else b""
    if not isinstance(data, (bytes, bytearray)):
        raise ParseError(_("The item is not text."))
    if len(data) > MAX_BYTES:
        raise ParseError(_("The item is larger than %(n)d bytes.") % {"n": MAX_BYTES})
    if not data.strip():
        raise ParseError(_("The item is empty."))
    try:
        # forbid_dtd: a CAP alert never needs a DTD; refusing it closes entity expansion and XXE at once.
        return fromstring(bytes(data), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ParseError(_("The item uses a forbidden XML feature (%(what)s).") % {"what": type(exc).__name__})
    except (XMLSyntaxError, SyntaxError, ValueError, UnicodeError, LookupError) as exc:
        raise ParseError(_("The item is not well-formed XML: %(error)s") % {"error": str(exc)[:200]})


def parse_cap(data: bytes | str) -> CapAlert:
    """Parse one CAP 1.2 alert; raises ParseError (only) when it is not one."""
    root = _root(data)
    if _local(root.tag) != "alert":
        raise ParseError(_("The root element is <%(tag)s>, not a CAP <alert>.") % {"tag": _local(root.tag)[:40]})
    if _ns(root.tag) != CAP_NS:
        raise ParseError(_("The alert is not in the CAP 1.2 namespace (%(ns)s).") % {"ns": CAP_NS})
    kids: dict[str, list] = {}
    for child in root:
        kids.setdefault(_local(child.tag), []).append(child)

    def one(name):
        return _text(kids[name][0]) if kids.get(name) else ""

    for name in ALERT_REQUIRED:
        if not one(name):
            raise ParseError(_("The alert has no %(name)s.") % {"name": name})
    identifier, sender = one("identifier"), one("sender")
    for name, value in (("identifier", identifier), ("sender", sender)):
        if not TOKEN.match(value) or len(value) > 200:
            raise ParseError(_("The alert's %(name)s contains spaces, commas or restricted characters, or is too "
                               "long.") % {"name": name})
    alert = CapAlert(
        identifier=identifier,
        sender=sender,
        sent=parse_datetime(one("sent"), "sent"),
        status=_one_of(one("status"), STATUS, "status"),
        msg_type=_one_of(one("msgType"), MSG_TYPE, "msgType"),
        scope=_one_of(one("scope"), SCOPE, "scope"),
        source=one("source"),
        restriction=one("restriction"),
        addresses=one("addresses"),
        codes=[_text(c) for c in kids.get("code", [])],
        note=one("note"),
        incidents=one("incidents"),
    )
    for token in one("references").split():
        parts = token.split(",")
        if len(parts) != 3:
            raise ParseError(_("references must be sender,identifier,sent triples separated by spaces."))
        parse_datetime(parts[2], "references")
        alert.references.append((parts[0], parts[1], parts[2]))
    alert.infos = [_parse_info(el, i) for i, el in enumerate(kids.get("info", []), 1)]
    if alert.msg_type in ("Alert", "Update") and not alert.infos:
        raise ParseError(_("An alert or update without any <info> says nothing to act on."))
    return alert


# --- writing ----------------------------------------------------------------------------------------


def _sub(parent, tag: str, text) -> None:
    if text not in (None, ""):
        SubElement(parent, f"{{{CAP_NS}}}{tag}").text = str(text)


def _num(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def format_polygon(ring: list[tuple[float, float]]) -> str:
    return " ".join(f"{_num(lat)},{_num(lon)}" for lat, lon in ring)


def to_xml(alert: CapAlert) -> bytes:
    """The alert as a CAP 1.2 document (UTF-8, schema element order)."""
    root = Element(f"{{{CAP_NS}}}alert")
    _sub(root, "identifier", alert.identifier)
    _sub(root, "sender", alert.sender)
    _sub(root, "sent", format_datetime_cap(alert.sent))
    _sub(root, "status", alert.status)
    _sub(root, "msgType", alert.msg_type)
    _sub(root, "source", alert.source)
    _sub(root, "scope", alert.scope)
    _sub(root, "restriction", alert.restriction)
    _sub(root, "addresses", alert.addresses)
    for code in alert.codes:
        _sub(root, "code", code)
    _sub(root, "note", alert.note)
    _sub(root, "references", " ".join(",".join(r) for r in alert.references))
    _sub(root, "incidents", alert.incidents)
    for info in alert.infos:
        el = SubElement(root, f"{{{CAP_NS}}}info")
        _sub(el, "language", info.language)
        for c in info.categories:
            _sub(el, "category", c)
        _sub(el, "event", info.event)
        for r in info.response_types:
            _sub(el, "responseType", r)
        _sub(el, "urgency", info.urgency)
        _sub(el, "severity", info.severity)
        _sub(el, "certainty", info.certainty)
        _sub(el, "audience", info.audience)
        for name, value in info.event_codes:
            ec = SubElement(el, f"{{{CAP_NS}}}eventCode")
            _sub(ec, "valueName", name)
            _sub(ec, "value", value)
        for name in ("effective", "onset", "expires"):
            value = getattr(info, name)
            if value is not None:
                _sub(el, name, format_datetime_cap(value))
        _sub(el, "senderName", info.sender_name)
        _sub(el, "headline", info.headline)
        _sub(el, "description", info.description)
        _sub(el, "instruction", info.instruction)
        _sub(el, "web", info.web)
        _sub(el, "contact", info.contact)
        for name, value in info.parameters:
            p = SubElement(el, f"{{{CAP_NS}}}parameter")
            _sub(p, "valueName", name)
            _sub(p, "value", value)
        for area in info.areas:
            a = SubElement(el, f"{{{CAP_NS}}}area")
            _sub(a, "areaDesc", area.desc)
            for ring in area.polygons:
                _sub(a, "polygon", format_polygon(ring))
            for lat, lon, radius in area.circles:
                _sub(a, "circle", f"{_num(lat)},{_num(lon)} {_num(radius)}")
            for name, value in area.geocodes:
                g = SubElement(a, f"{{{CAP_NS}}}geocode")
                _sub(g, "valueName", name)
                _sub(g, "value", value)
            _sub(a, "altitude", None if area.altitude is None else _num(area.altitude))
            _sub(a, "ceiling", None if area.ceiling is None else _num(area.ceiling))
    body = tostring(root, encoding="unicode", default_namespace=CAP_NS)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


# --- rule checks ------------------------------------------------------------------------------------


def _order_problems(el, order: tuple, where: str) -> list[str]:
    problems, last = [], -1
    for child in el:
        name = _local(child.tag)
        if _ns(child.tag) != CAP_NS:
            problems.append(f"{where}: element <{name}> is not in the CAP 1.2 namespace")
            continue
        if name not in order:
            problems.append(f"{where}: unknown element <{name}>")
            continue
        pos = order.index(name)
        if pos < last:
            problems.append(f"{where}: <{name}> is out of schema order")
        last = max(last, pos)
    return problems


def _count(el, name: str) -> int:
    return sum(1 for child in el if _local(child.tag) == name)


def validate(data: bytes | str) -> list[str]:
    """CAP 1.2 rule problems of a document (empty when it conforms): the checks the OASIS schema and the
    standard's text make, strictly (numeric time zones only, schema order, value lists, single elements)."""
    try:
        root = _root(data)
    except ParseError as exc:
        return [exc.message]
    if _local(root.tag) != "alert" or _ns(root.tag) != CAP_NS:
        return ["root element is not a CAP 1.2 <alert>"]
    problems = _order_problems(root, ALERT_ORDER, "alert")
    for name in ALERT_REQUIRED:
        if _count(root, name) != 1:
            problems.append(f"alert: <{name}> must appear exactly once")
    for name in ("source", "restriction", "addresses", "note", "references", "incidents"):
        if _count(root, name) > 1:
            problems.append(f"alert: <{name}> may appear at most once")
    values = {_local(c.tag): _text(c) for c in root}
    if values.get("sent") and not DATETIME_STRICT.match(values["sent"]):
        problems.append("alert: <sent> is not a CAP dateTime with a numeric time zone")
    for name, allowed in (("status", STATUS), ("msgType", MSG_TYPE), ("scope", SCOPE)):
        if name in values and values[name] not in allowed:
            problems.append(f"alert: <{name}> has a value outside its list")
    for name in ("identifier", "sender"):
        if name in values and not TOKEN.match(values[name] or " "):
            problems.append(f"alert: <{name}> contains spaces, commas or restricted characters")
    if values.get("scope") == "Restricted" and not values.get("restriction"):
        problems.append("alert: scope Restricted needs <restriction>")
    if values.get("scope") == "Private" and not values.get("addresses"):
        problems.append("alert: scope Private needs <addresses>")
    for token in values.get("references", "").split():
        parts = token.split(",")
        if len(parts) != 3 or not DATETIME_STRICT.match(parts[2]):
            problems.append("alert: <references> must hold sender,identifier,sent triples")
    for n, info in enumerate((c for c in root if _local(c.tag) == "info"), 1):
        where = f"info {n}"
        problems += _order_problems(info, INFO_ORDER, where)
        for name in ("event", "urgency", "severity", "certainty"):
            if _count(info, name) != 1:
                problems.append(f"{where}: <{name}> must appear exactly once")
        if _count(info, "category") < 1:
            problems.append(f"{where}: <category> is required")
        for child in info:
            name, text = _local(child.tag), _text(child)
            allowed = {"category": CATEGORY, "responseType": RESPONSE_TYPE, "urgency": URGENCY,
                       "severity": SEVERITY, "certainty": CERTAINTY}.get(name)
            if allowed and text not in allowed:
                problems.append(f"{where}: <{name}> has a value outside its list")
            if name in ("effective", "onset", "expires") and not DATETIME_STRICT.match(text):
                problems.append(f"{where}: <{name}> is not a CAP dateTime with a numeric time zone")
            if name in ("eventCode", "parameter") and (_count(child, "valueName") != 1 or _count(child, "value") != 1):
                problems.append(f"{where}: <{name}> needs one valueName and one value")
        for m, area in enumerate((c for c in info if _local(c.tag) == "area"), 1):
            awhere = f"{where} area {m}"
            problems += _order_problems(area, AREA_ORDER, awhere)
            if _count(area, "areaDesc") != 1:
                problems.append(f"{awhere}: <areaDesc> must appear exactly once")
            for child in area:
                try:
                    if _local(child.tag) == "polygon":
                        parse_polygon(_text(child))
                    elif _local(child.tag) == "circle":
                        parse_circle(_text(child))
                except ParseError as exc:
                    problems.append(f"{awhere}: {exc.message}")
            if _count(area, "ceiling") and not _count(area, "altitude"):
                problems.append(f"{awhere}: <ceiling> needs <altitude>")
    return problems


# --- the RSS index --------------------------------------------------------------------------------


@dataclass
class RssItem:
    link: str
    guid: str
    title: str
    published: dt.datetime | None


def parse_rss_index(data: bytes | str) -> list[RssItem]:
    """Items of a BMKG nowcast RSS index: each links to one CAP alert."""
    root = _root(data)
    if _local(root.tag) != "rss":
        raise ParseError(_("The index is not an RSS document."))
    items = []
    for item in root.iter():
        if _local(item.tag) != "item":
            continue
        values = {_local(c.tag): _text(c) for c in item}
        link = values.get("link", "")
        if not link:
            raise ParseError(_("An RSS item has no link."))
        published = None
        if values.get("pubDate"):
            try:
                published = parsedate_to_datetime(values["pubDate"])
            except (TypeError, ValueError, IndexError):
                published = None
        items.append(RssItem(link=link, guid=values.get("guid", "") or link, title=values.get("title", ""),
                             published=published))
    return items


def rss_date(value: dt.datetime) -> str:
    return format_datetime(value)
