"""The one test kit: every test builds its world and reads results back with these.

world     seed data written straight into the database (warehouses VAL and CEB, SKUs, a bundle, a
          shop), order payloads, reading stock and `bodega verify` back
sync      a sync world (warehouse W, bins, SKUs, COD orders, phones), raw HTTP as a phone, the
          ledgers read back
faults    the network between phones and a server, and what it does to a request (both stateful
          sync machines, against the reference server and against the real one, use it)
pwa       a seeded site served by a real server, and Debian's Chromium driven by Playwright
problems  the one check of a Problem Details answer
"""
