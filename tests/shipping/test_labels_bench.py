"""The labels benchmark's figures and what it renders (its speed is the bench's business)."""

from __future__ import annotations

from server.bench.labels import render_rate, sample_labels
from server.shipping.paper import render_labels
from tests.shipping.test_packing_api import barcodes, pdf_text


def test_render_rate_reports_the_figures_the_fulfillment_bench_reads() -> None:
    figures = render_rate(12)
    assert figures["labels"] == 12 and figures["labels_per_s"] > 0 and figures["labels_pdf_bytes"] > 0
    assert figures["labels_target_per_s"] == 200


def test_every_sample_label_decodes_to_its_own_waybill() -> None:
    labels = sample_labels(4)
    pdf = render_labels(labels)
    for page, label in enumerate(labels):
        assert barcodes(pdf, page) == {"Code128": label.waybill, "QRCode": label.waybill}
    text = pdf_text(pdf)
    assert "PREPAID" in text and "PHP 499.50" in text and "PHP 999.00" in text
