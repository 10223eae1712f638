"""Barcodes and QR codes drawn straight onto a reportlab canvas, each as one literal path: fast
enough for a shift's labels without reportlab's C accelerator. Shared by the parcel labels
(server/shipping/paper.py) and the warehouse's bin labels (server/inventory/bin_labels.py)."""

from __future__ import annotations

from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.code128 import Code128
from reportlab.pdfgen.canvas import Canvas


def draw_code128(c: Canvas, value: str, centre_x: float, y: float, height: float, bar: float) -> None:
    """A Code128 barcode centred on `centre_x`, as one literal path of its bars (in modules).

    reportlab encodes it (Code128's `decomposed`: lower-case letters are spaces, upper-case bars,
    their width in modules by the letter); drawing each bar as a rectangle of its own formats
    every coordinate through the slow pure-Python number formatter."""
    code = Code128(value, barHeight=height, barWidth=bar, humanReadable=False, quiet=False)
    code.validate()  # type: ignore[no-untyped-call]
    code.encode()  # type: ignore[no-untyped-call]
    code.decompose()  # type: ignore[no-untyped-call]
    modules: list[tuple[int, int]] = []
    left = 0
    for ch in str(code.decomposed):
        if "a" <= ch <= "z":
            left += ord(ch) - ord("a") + 1
        elif "A" <= ch <= "Z":
            width = ord(ch) - ord("A") + 1
            modules.append((left, width))
            left += width
    x = centre_x - left * bar / 2
    ops = [f"q {bar:.4f} 0 0 {height:.4f} {x:.4f} {y:.4f} cm"]
    ops += [f"{start} 0 {width} 1 re" for start, width in modules]
    ops.append("f Q")
    c.addLiteral("\n".join(ops))


def draw_qr(c: Canvas, value: str, x: float, y: float, size: float) -> None:
    """A QR code drawn straight onto the page as one path of dark runs.

    reportlab's QR widget builds a shape per module and tries all eight mask patterns to pick the
    prettiest; that is most of a label's time. Any mask is valid (scanners read them all), so one
    fixed mask is used, and each row's runs of dark modules become one rectangle."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(value)
    code.version = code.calculate_version()
    code.makeImpl(False, 0)
    n = code.getModuleCount()
    quiet = 2
    cell = size / (n + 2 * quiet)
    # In module units (one unit = one module, origin at the code's top-left corner going down), so
    # the rectangles are small integers; written as one literal path (reportlab's own path object
    # formats every number through a slow pure-Python routine when its C accelerator is absent).
    ops = [f"q {cell:.4f} 0 0 {-cell:.4f} {x + quiet * cell:.4f} {y + size - quiet * cell:.4f} cm"]
    for r, row in enumerate(code.modules):
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                ops.append(f"{start} {r} {col - start} 1 re")
            else:
                col += 1
    ops.append("f Q")
    c.addLiteral("\n".join(ops))
