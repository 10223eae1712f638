"""Reading Bodega's PDFs back (pypdf): all the text, and the value labels of the bar charts, which
server/paper/pdf.py alone writes at VALUE_SIZE points, in the order the bars are drawn (series
by series, each in category order)."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from server.paper.pdf import VALUE_SIZE


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def bar_values(content: bytes) -> list[str]:
    found: list[str] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if abs(size - VALUE_SIZE) < 0.01 and text.strip():
            found.append(text.strip())

    for page in PdfReader(io.BytesIO(content)).pages:
        page.extract_text(visitor_text=visit)
    return found
