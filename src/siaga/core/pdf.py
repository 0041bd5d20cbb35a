"""PDF documents (fpdf2) for printable reports: landscape A4, a page footer, headings, paragraphs and tables."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


class PdfDoc:
    """fpdf2 with a Unicode font when the system has DejaVu, else the built-in Helvetica (Latin-1 only)."""

    def __init__(self, header: str):
        from fpdf import FPDF

        class Doc(FPDF):
            def footer(doc):
                doc.set_y(-12)
                doc.set_font(self.font, "", 7)
                doc.cell(0, 6, self.text(_("%(header)s - page %(n)s/%(total)s") % {"header": header, "n": doc.page_no(), "total": "{nb}"}), align="C")

        self.pdf = Doc(orientation="L", unit="mm", format="A4")
        self.unicode = (FONT_DIR / "DejaVuSans.ttf").is_file() and (FONT_DIR / "DejaVuSans-Bold.ttf").is_file()
        if self.unicode:
            self.pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
            self.font = "DejaVu"
        else:
            self.font = "Helvetica"
        self.pdf.set_auto_page_break(True, margin=15)
        self.pdf.set_title(header)
        self.pdf.add_page()

    def text(self, value) -> str:
        value = "" if value is None else str(value)
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")

    def heading(self, value: str, size: int = 12):
        self.pdf.set_font(self.font, "B", size)
        self.pdf.multi_cell(0, size * 0.55, self.text(value), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def para(self, value: str, size: int = 9):
        self.pdf.set_font(self.font, "", size)
        self.pdf.multi_cell(0, 4.5, self.text(value), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def table(self, head: list[str], rows: list[list], widths: tuple, size: int = 8):
        self.pdf.set_font(self.font, "", size)
        with self.pdf.table(col_widths=widths, text_align="LEFT", line_height=size * 0.5,
                            first_row_as_headings=True) as table:
            for row in [head] + rows:
                r = table.row()
                for value in row:
                    r.cell(self.text(value))
        self.pdf.ln(3)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
