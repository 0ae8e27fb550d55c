"""Real documents made on the fly: a scanned letter (text rendered to an image, wrapped into a
PDF without a text layer), DOCX, PDF with a text layer, XLSX-free Office via kreuzberg."""

from __future__ import annotations

import io
from pathlib import Path

FONT = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")


def scan_pdf(lines: list[str], *, fmt: str = "PDF") -> bytes:
    """A page image at 200 dpi with the lines typed on it: no text layer, OCR needed."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), 36)
    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((150, 200 + i * 60), line, font=font, fill=0)
    out = io.BytesIO()
    page.save(out, format=fmt, resolution=200)
    return out.getvalue()


def docx(paragraphs: list[str]) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def text_pdf(lines: list[str]) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "NotoSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("NotoSans", str(FONT)))
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.setFont("NotoSans", 11)
    for i, line in enumerate(lines):
        pdf.drawString(50, 800 - i * 16, line)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
