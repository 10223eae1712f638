"""One page setup for Bodega's printed reports (reportlab platypus): the daily operations report,
the pick list, the rider's remittance slip, a courier's reconciliation and the inbound report.

`build` lays a story out on the page every report uses (margins, the title and author in the file,
a footer on each page naming the report and the page), `bars` draws the bar charts they carry, and
`money` writes pesos as the standard PDF fonts can (they have no peso sign). reportlab is
synchronous and CPU-bound: callers render in a worker thread, never on the event loop."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

from server.money import format_pesos

MARGIN = 12 * mm
VALUE_SIZE = 6.5  # points: the bars' value labels, and nothing else (tests find them by it)
FOOTER = 6 * mm  # from the page's bottom edge
# The reports' series colours, in order: blue (in, collected), green (out, remitted), then more.
SERIES = (
    colors.HexColor("#2563eb"),
    colors.HexColor("#16a34a"),
    colors.HexColor("#dc2626"),
    colors.HexColor("#d97706"),
)


def money(centavos: int) -> str:
    """Pesos for a PDF: "PHP 1,234.50" (reportlab's built-in fonts have no peso sign)."""
    return format_pesos(centavos).replace("₱", "PHP ")


def build(story: Sequence[Flowable], *, title: str, pagesize: tuple[float, float] = A4) -> bytes:
    """The PDF of `story` on Bodega's page: `title` in the file's properties and every footer."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author="Bodega",
    )

    def footer(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, FOOTER, f"Bodega · {title}")
        canvas.drawRightString(pagesize[0] - MARGIN, FOOTER, f"Page {doc.page}")
        canvas.restoreState()

    doc.build(list(story), onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[Sequence[float]],
    names: Sequence[str],
    *,
    width: float = 170 * mm,
    height: float = 62 * mm,
    horizontal: bool = False,
    label: Callable[[float], str] | None = None,
) -> Drawing:
    """A titled bar chart: one bar per label for each series (coloured as SERIES, named in a legend
    when there are several). `label` writes each bar's value at its end (pesos, a count), so the
    figure reads without the axis; horizontal bars suit long category names."""
    d = Drawing(width, height)
    d.add(String(0, height - 4 * mm, title, fontName="Helvetica-Bold", fontSize=10))
    chart = HorizontalBarChart() if horizontal else VerticalBarChart()
    left = 42 * mm if horizontal else 12 * mm
    chart.x, chart.y = int(left), int(10 * mm)
    chart.width, chart.height = int(width - left - 20 * mm), int(height - 20 * mm)
    values = [tuple(s) for s in series]
    chart.data = values if any(any(v for v in s) for s in values) else [tuple(0 for _ in labels)]
    chart.categoryAxis.categoryNames = list(labels)
    chart.categoryAxis.labels.fontSize = 7 if horizontal else 6
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    for i, color in enumerate(SERIES[: len(values)]):
        chart.bars[i].fillColor = color
    if label is not None:
        chart.barLabelFormat = label
        chart.barLabels.fontSize = VALUE_SIZE
        chart.barLabels.boxAnchor = "w" if horizontal else "s"
        chart.barLabels.dx, chart.barLabels.dy = (3, 0) if horizontal else (0, 2)
    d.add(chart)
    if len(names) > 1:
        legend = Legend()
        legend.x, legend.y = int(width - 40 * mm), int(height - 4 * mm)
        legend.fontSize = 7
        legend.colorNamePairs = list(zip(SERIES, names, strict=False))
        d.add(legend)
    return d
