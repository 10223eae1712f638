"""The Python reference sync server (sync.ReferenceServer) behind a JSON-lines pipe, so the
JavaScript client's tests sync against the very model the protocol's own tests check.

One request per line on stdin, one answer per line on stdout:
  {"cmd": "new", "scopes": {device: [scope, ...]}}          a fresh server
  {"cmd": "sync", "dev": device, "body": "<json text>"}     -> {"status", "body"}
  {"cmd": "snapshot"} / {"cmd": "restore"}                  a backup, and restoring it (new epoch)
  {"cmd": "revoke", "dev": device}
  {"cmd": "ledger"}                                          -> bins, applications per op, checksums
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sync import ReferenceServer  # noqa: E402

server = ReferenceServer()
backup = None

for line in sys.stdin:
    msg = json.loads(line)
    cmd = msg["cmd"]
    out: dict = {}
    if cmd == "new":
        server = ReferenceServer(scopes=msg.get("scopes", {}))
    elif cmd == "sync":
        reply = server.handle(msg["dev"], msg["body"].encode(), content_type="application/json")
        out = {"status": reply.status, "body": reply.body.decode()}
    elif cmd == "snapshot":
        backup = server.snapshot()
    elif cmd == "restore":
        server.restore(backup)
    elif cmd == "revoke":
        server.revoked.add(msg["dev"])
    elif cmd == "ledger":
        scopes = {s for ss in server.scopes.values() for s in ss}
        out = {
            "bins": [[*k, v] for k, v in sorted(server.ledger.bins.items())],
            "applications": dict(server.ledger.applications),
            "sums": {s: server.checksum(s) for s in sorted(scopes)},
            "epoch": server.epoch,
        }
    print(json.dumps(out), flush=True)
