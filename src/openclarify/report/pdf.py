"""Draw the report ``Document`` as a PDF with fpdf2.

fpdf2 is pure Python (it needs Pillow, fontTools and defusedxml, all wheels),
so the image needs no system package, unlike wkhtmltopdf or WeasyPrint. Text
uses the DejaVu Sans fonts that matplotlib ships, which cover the symbols the
report prints (∞, √, –, …) and Latin, Greek and Cyrillic facet values; glyphs
it lacks (CJK, for one) are left out of the PDF with a warning from fpdf2.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from openclarify.report.document import (
    Document,
    Figure,
    Heading,
    Notice,
    Paragraph,
    Table,
)

if TYPE_CHECKING:
    from fpdf import FPDF

logger = logging.getLogger(__name__)

FONT = "DejaVu"
MARGIN_MM = 14.0
BODY_PT = 9.0
TABLE_PT = 7.5
HEADING_PT = {1: 18.0, 2: 14.0, 3: 11.0}
ACCENT = (46, 117, 182)
ERROR_TEXT = (138, 31, 17)
ERROR_FILL = (253, 236, 234)
HEAD_FILL = (238, 243, 248)
MUTED = (89, 89, 89)
IMAGE_DPI = 110
CAPTION_MM = 8.0


def write_pdf(path: Path | str, document: Document) -> Path:
    """Write ``document`` to ``path`` as an A4 PDF.

    Parameters
    ----------
    path : Path or str
        The PDF file to write.
    document : Document
        The report content.

    Returns
    -------
    Path
        The file written.
    """
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=MARGIN_MM)
    pdf.set_title(document.title)
    pdf.set_creator("openclarify")
    _add_fonts(pdf)
    pdf.add_page()

    pdf.set_font(FONT, "B", HEADING_PT[1])
    pdf.multi_cell(0, 9, document.title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", BODY_PT)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 5, document.subtitle, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)

    for block in document.blocks:
        if isinstance(block, Heading):
            _heading(pdf, block)
        elif isinstance(block, Paragraph):
            _paragraph(pdf, block.text)
        elif isinstance(block, Notice):
            _notice(pdf, block)
        elif isinstance(block, Table):
            _table(pdf, block)
        elif isinstance(block, Figure):
            _figure(pdf, block)

    target = Path(path)
    temp = target.with_name(f".{target.name}.partial")
    pdf.output(str(temp))
    temp.replace(target)
    return target


def _add_fonts(pdf: FPDF) -> None:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf.add_font(FONT, "", str(folder / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(folder / "DejaVuSans-Bold.ttf"))


def _heading(pdf: FPDF, block: Heading) -> None:
    size = HEADING_PT.get(block.level, HEADING_PT[3])
    # Keep a heading with at least a few lines of what follows it.
    if pdf.get_y() + size * 3 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(4 if block.level == 2 else 2)
    pdf.set_font(FONT, "B", size)
    if block.level == 2:
        pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, size * 0.5, block.text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    if block.level == 2:
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.5)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.set_line_width(0.2)
        pdf.set_draw_color(0, 0, 0)
    pdf.ln(2)


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, "", BODY_PT)
    pdf.multi_cell(0, 4.6, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _notice(pdf: FPDF, block: Notice) -> None:
    pdf.set_font(FONT, "B", BODY_PT)
    if block.kind == "error":
        pdf.set_text_color(*ERROR_TEXT)
        pdf.set_fill_color(*ERROR_FILL)
    else:
        pdf.set_fill_color(*HEAD_FILL)
    pdf.multi_cell(
        0,
        5,
        block.text,
        align="L",
        fill=True,
        new_x="LMARGIN",
        new_y="NEXT",
        padding=2,
    )
    pdf.set_text_color(0, 0, 0)
    pdf.set_fill_color(255, 255, 255)
    pdf.ln(1.5)


def _table(pdf: FPDF, block: Table) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font(FONT, "", TABLE_PT)
    failed_style = FontFace(color=ERROR_TEXT, fill_color=ERROR_FILL)
    with pdf.table(
        col_widths=block.widths,
        width=pdf.epw,
        text_align="LEFT",
        line_height=TABLE_PT * 0.5,
        padding=1,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for column, numeric in zip(block.columns, block.numeric, strict=True):
            heading.cell(column, align="RIGHT" if numeric else "LEFT")
        for number, cells in enumerate(block.rows):
            style = failed_style if block.is_failed(number) else None
            row = table.row()
            for cell, numeric in zip(cells, block.numeric, strict=True):
                row.cell(cell, align="RIGHT" if numeric else "LEFT", style=style)
    pdf.ln(3)


def _figure(pdf: FPDF, block: Figure) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(block.png)) as image:
        width_px, height_px = image.size
    width = min(pdf.epw, width_px / IMAGE_DPI * 25.4)
    height = width * height_px / width_px

    # A chart taller than a page is scaled down to fit one page with its caption.
    tallest = pdf.page_break_trigger - pdf.t_margin - CAPTION_MM
    if height > tallest:
        width, height = width * tallest / height, tallest
    if pdf.get_y() + height + CAPTION_MM > pdf.page_break_trigger:
        pdf.add_page()
    pdf.image(io.BytesIO(block.png), x=pdf.l_margin, w=width, h=height)
    pdf.set_font(FONT, "", TABLE_PT)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4, block.caption, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
