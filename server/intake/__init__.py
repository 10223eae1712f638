"""Orders in from the sales channels: mapping a platform's order onto the canonical one, the
webhook inbox and its processing, the CSV import, the status review queue.

It sits above server/orders/ (it feeds the ingest path) and server/channels/ (shops, listings,
the platform adapters and signatures), which both stay below it.
"""
