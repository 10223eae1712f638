"""PROTOCOL.md must be enough to write a JavaScript client. This checks the trickiest part, the
scope checksum, with a from-the-document JavaScript implementation run by Node (skipped without it)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "protocol"

# Written from PROTOCOL.md ("Checksums"), not from the Python code.
JS = r"""
const fs = require("fs");
const crypto = require("crypto");
const canon = (v) => {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return "[" + v.map(canon).join(",") + "]";
  return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canon(v[k])).join(",") + "}";
};
const entityHash = (kind, key, val) => {
  const h = crypto.createHash("sha256").update(kind + "\x1f" + key + "\x1f" + canon(val), "utf8").digest();
  return h.readBigUInt64BE(0);
};
const replica = new Map();  // scope -> Map(kind \x1f key -> value)
let sums = {};
for (const name of ["pull_response_page", "pull_response_end"]) {
  const body = JSON.parse(fs.readFileSync(process.argv.at(-1) + "/" + name + ".json", "utf8")).body;
  for (const [scope, kind, key, val] of body.ch) {
    if (!replica.has(scope)) replica.set(scope, new Map());
    const id = kind + "\x1f" + key;
    if (val === null || val === undefined) replica.get(scope).delete(id);
    else replica.get(scope).set(id, [kind, key, val]);
  }
  if (!body.more) sums = body.sums || {};
}
const out = {};
for (const scope of Object.keys(sums)) {
  let total = 0n;
  for (const [kind, key, val] of (replica.get(scope) || new Map()).values()) {
    total = (total + entityHash(kind, key, val)) & 0xffffffffffffffffn;
  }
  out[scope] = total.toString(16).padStart(16, "0");
}
console.log(JSON.stringify({ expected: sums, computed: out }));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_a_javascript_checksum_written_from_the_protocol_matches_the_golden_sums() -> None:
    result = subprocess.run(
        ["node", "-e", JS, str(GOLDEN)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["expected"]
    assert report["computed"] == report["expected"]
