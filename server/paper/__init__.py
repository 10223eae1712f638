"""Paper: what every printed sheet is drawn with, below the domains that print (reportlab).

`pdf` is the reports' one page setup (margins, footer, bar charts, pesos in the standard fonts),
used by the daily report, the pick list, the rider's remittance slip, a courier's reconciliation
and the inbound report; `codes` draws barcodes and QR codes straight onto a page, for the parcel
labels (server/shipping/paper.py) and the warehouse's bin labels (server/inventory/bin_labels.py).
Pure drawing: no database, no domain; callers render in a worker thread, never on the event loop.
"""

from reportlab import rl_config

# Compressed page streams are written as binary, not also ASCII85-encoded: reportlab's pure-Python
# ASCII85 (its C accelerator is not installed) was a third of a label's time, for a bigger file.
rl_config.useA85 = 0
