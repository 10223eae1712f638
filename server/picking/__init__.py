"""Outbound work in the warehouse: waves of allocated orders, their pick lists in walking order,
the pickers they are given to, and the picks recorded against them (sync/PROTOCOL.md R3, R4).

models      waves, the orders in them (one tote each), the planned pick lines, the recorded picks,
            the seller's fulfilment settings and declared closures
walk        the walking order of bin labels (zone, aisle, level)
waves       building waves from allocated orders; the `wave` entity the phones read
picks       the writer of recorded picks; what follows a short pick (another bin, or a hold)
picklist    the pick list PDF
controllers the HTTP endpoints
"""
