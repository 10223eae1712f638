"""Bodega server: the order, stock and cash-on-delivery ledger behind the phone app and the console."""
