"""ISBT 128 donation identification numbers (DIN): structure, ISO 7064 Mod 37-2 check character, Code 128 label.

A DIN is 13 characters: the facility identification number (FIN, 5 characters assigned by ICCBBA: one
letter or digit and four digits), the year of collection (2 digits) and a sequence number (6 digits).
The barcode carries "=" + DIN + two flag characters; the eye-readable form prints the ISO 7064 Mod 37-2
check character (computed over the 13 DIN characters only, never the flags) in a box beside the number,
so a number typed from the label can be checked ("keyboard entry check character").
"""

from __future__ import annotations

import dataclasses
import re

from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError

# ISO 7064 character values: 0-9 -> 0-9, A-Z -> 10-35, "*" -> 36.
CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
MODULUS = 37

DIN_RE = re.compile(r"^[A-Z0-9]\d{4}\d{2}\d{6}$", re.ASCII)
FIN_RE = re.compile(r"^[A-Z0-9]\d{4}$", re.ASCII)
# What people type or scanners send: optional leading "=", spaces, optional flags, optional check character.
# re.ASCII: \d alone would also take Arabic-Indic and full-width digits, which no label carries.
_INPUT_RE = re.compile(r"^=?(?P<din>[A-Z0-9]\d{12})(?P<flags>\d{2})?(?P<check>[0-9A-Z*])?$", re.ASCII)


class InvalidDin(ServiceError):
    code = "invalid_din"


def mod37_2(text: str) -> int:
    """The ISO 7064 Mod 37-2 checksum (0..36) of an alphanumeric string.

    Pure-system recursion: p = (p + value) * 2 mod 37 over the characters, checksum = (38 - p) mod 37.
    It equals the weighted form (value x 2^position from the right, summed, mod 37, subtracted from 38).
    """
    p = 0
    for ch in text.upper():
        if ch not in _VALUE:
            raise InvalidDin(_("Character %(ch)s is not allowed in an ISBT 128 number.") % {"ch": ch})
        p = ((p + _VALUE[ch]) * 2) % MODULUS
    return (MODULUS + 1 - p) % MODULUS


def check_character(din: str) -> str:
    """The eye-readable (keyboard entry) check character of a 13-character DIN."""
    return CHARSET[mod37_2(din)]


def barcode_check_value(din: str) -> str:
    """The flag pair a DIN barcode may carry instead of "00": the Mod 37-2 checksum plus 60 ("60".."96")."""
    return str(mod37_2(din) + 60)


@dataclasses.dataclass(frozen=True)
class Din:
    fin: str
    year: str
    sequence: str
    flags: str = "00"

    @property
    def din(self) -> str:
        return f"{self.fin}{self.year}{self.sequence}"

    @property
    def check(self) -> str:
        return check_character(self.din)

    @property
    def barcode_data(self) -> str:
        """What the Code 128 symbol encodes: the data identifier "=", the DIN and the two flags."""
        return f"={self.din}{self.flags}"

    @property
    def eye_readable(self) -> str:
        return f"{self.fin} {self.year} {self.sequence} {self.flags} {self.check}"


def make_din(fin: str, year: int, sequence: int, flags: str = "00") -> Din:
    """The DIN for facility `fin`, collection year `year` (4 or 2 digits) and sequence number."""
    fin = (fin or "").strip().upper()
    if not FIN_RE.match(fin):
        raise InvalidDin(_("An ISBT 128 facility identification number is one letter or digit and four digits "
                           "(e.g. A9999); got %(fin)s.") % {"fin": fin or "-"})
    if not 0 < sequence <= 999_999:
        raise InvalidDin(_("The DIN sequence number must be between 1 and 999999."), code="din_sequence_exhausted")
    if not re.fullmatch(r"\d{2}", flags):
        raise InvalidDin(_("DIN flags are two digits."))
    return Din(fin, f"{year % 100:02d}", f"{sequence:06d}", flags)


def parse(text: str, *, require_check: bool = False) -> Din:
    """Read a DIN as typed or scanned ("A9999 26 123456 00 K", "=A99992612345600"); refuse a wrong check character."""
    cleaned = re.sub(r"[\s\-]", "", (text or "").upper())
    m = _INPUT_RE.match(cleaned)
    if not m:
        raise InvalidDin(_("Not an ISBT 128 donation identification number: %(text)s.") % {"text": (text or "")[:40]})
    din, flags, check = m["din"], m["flags"] or "00", m["check"]
    if check is None and require_check:
        raise InvalidDin(_("Type the boxed check character printed after the number."), code="din_check_missing")
    if check is not None and check != check_character(din):
        raise InvalidDin(
            _("The check character %(typed)s does not match the number %(din)s: check the number for a typing "
              "mistake.") % {"typed": check, "din": din},
            code="din_check_mismatch", details={"din": din},
        )
    return Din(din[:5], din[5:7], din[7:], flags)


def barcode_svg(din: Din) -> str:
    """A Code 128 symbol of the DIN's barcode data, as an SVG document (no text: the label prints its own)."""
    from io import BytesIO

    from barcode import Code128
    from barcode.writer import SVGWriter

    out = BytesIO()
    Code128(din.barcode_data, writer=SVGWriter()).write(
        out, options={"write_text": False, "module_width": 0.25, "module_height": 12, "quiet_zone": 2.5})
    svg = out.getvalue().decode()
    # Inline in an HTML page: drop the XML prolog and the DOCTYPE.
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    # Presentation attributes instead of style="...": pages run under a CSP without inline styles.
    svg = re.sub(r'style="fill:\s*([#\w]+);?"', r'fill="\1"', svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    # Millimetres as user units with a viewBox, so the label's CSS can scale the symbol to the label width.
    m = re.search(r'<svg[^>]*?width="([\d.]+)mm"[^>]*?height="([\d.]+)mm"', svg)
    if m:
        width, height = m.group(1), m.group(2)
        svg = re.sub(r'(x|y|width|height)="([\d.]+)mm"', r'\1="\2"', svg[svg.index(">") + 1:])
        svg = f'<svg version="1.1" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" ' \
              f'width="{width}mm" height="{height}mm" role="img">' + svg
    return svg
