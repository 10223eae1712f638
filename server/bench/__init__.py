"""`bodega bench`: benchmarks against a real server process (ingest, sync), SQLite's write floor
(floor), and the phone app in Chromium (pwa, which needs the source checkout's build).

Installed with the package, so `bodega bench` runs from a wheel; the wrk scripts (*.lua) are
package data. The browser tests share the PWA bench's site and browser helpers (tests/kit/pwa.py).
"""
