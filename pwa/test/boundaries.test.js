// Source checks for two boundaries of the app:
// - wire tuples (op, result, note, change) are read and built only in src/sync/protocol.js, through
//   named accessors: a screen that writes `op[6]` breaks silently the day a position changes;
// - the engine and the screens never open IndexedDB or spell an op type themselves: they ask the
//   sync layer (src/sync/) in their own words.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

function sources(dir = SRC) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".js") ? [[relative(SRC, path), readFileSync(path, "utf8")]] : [];
  });
}

/** Every line of `text` matching one of `rules`, as "file:line: code". */
function offences(file, text, rules) {
  const found = [];
  text.split("\n").forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, "").replace(/^\s*\*.*$/, ""); // comments may name positions
    if (rules.some((rule) => rule.test(code))) found.push(`${file}:${i + 1}: ${line.trim()}`);
  });
  return found;
}

const TUPLE = "(?:op|note|result|change)"; // the names the app gives these tuples, alone or as a property
const TUPLE_LISTS = "(?:notes|results|res|ch|changes)";
const BY_POSITION = [
  new RegExp(`\\b${TUPLE}\\s*\\[\\s*\\d+\\s*\\]`), // op[5], row.op[6], note[0]
  new RegExp(`\\[[\\w\\s,]*\\]\\s*=\\s*[\\w.]*\\b${TUPLE}\\b\\s*;`), // const [id, , , wall] = row.op;
  new RegExp(`for\\s*\\(\\s*const\\s*\\[[^\\]]*\\]\\s*of\\s*[\\w.]*\\b${TUPLE_LISTS}\\b`), // for (const [seq, st] of results)
  new RegExp(`\\b${TUPLE_LISTS}\\.(?:map|forEach|filter|find|some|every|reduce)\\(\\s*\\(\\s*\\[`), // notes.map(([code, msg]) =>
];

const OPENS_INDEXEDDB = [
  /\bindexedDB\b/,
  /\b(?:objectStore|openCursor|transaction)\s*\(/,
  /\bdb\.(?:get|getAll|put|add|delete|count|clear)\s*\(/,
];
const OP_TYPE = /["'`][a-z_]+\.[a-z_]+@v\d+["'`]/; // "stock.received@v1"

describe("wire tuples are read through sync/protocol.js", () => {
  it("no file outside it takes a tuple apart by position", () => {
    const found = sources()
      .filter(([file]) => file !== join("sync", "protocol.js"))
      .flatMap(([file, text]) => offences(file, text, BY_POSITION));
    expect(found).toEqual([]);
  });

  it("the check catches what the screens used to write", () => {
    const before = [
      "const p = n.op[6];",
      "<div>${describe(n.op[5], p, n.seq)}</div>",
      "return html`<li key=${r.op[0]}>`;",
      "const total = rows.reduce((n, r) => n + r.op[6].qty, 0);",
      "adopt.push({ op: cursor.value.op, rec: cursor.value.op[3], user });",
      "const [opId, , , wall, hlc, type, payload] = row.op;",
      "for (const [seq, st, notes] of results) {",
      "for (const [scope, kind, key, val] of r.ch) {",
      "${n.notes.map(([code, msg]) => html`<p>${code} ${msg}</p>`)}",
      "const code = note [ 0 ];",
    ];
    for (const line of before) expect(offences("example.js", line, BY_POSITION), line).toHaveLength(1);
    const fine = ["const m = path.match(re); m[1];", "batch[0]", "key.split('\\x1f')[1]", "for (const [key] of deltas) {}", "// op[5] is the type"];
    for (const line of fine) expect(offences("example.js", line, BY_POSITION), line).toEqual([]);
  });
});

describe("the engine and the screens ask the sync layer", () => {
  const askers = sources().filter(([file]) => file === "engine.js" || file.startsWith("ui") || file.startsWith("flows"));

  it("covers the engine, the home screen and the flows", () => {
    const files = askers.map(([file]) => file);
    for (const file of ["engine.js", join("ui", "home.js"), join("ui", "problems.js"), join("flows", "receiving.js"), join("flows", "count.js")]) {
      expect(files).toContain(file);
    }
  });

  it("none of them opens IndexedDB", () => {
    expect(askers.flatMap(([file, text]) => offences(file, text, OPENS_INDEXEDDB))).toEqual([]);
  });

  it("none of them spells an op type (sync/ops.js names them)", () => {
    expect(askers.flatMap(([file, text]) => offences(file, text, [OP_TYPE]))).toEqual([]);
  });

  it("the checks catch what the engine used to do", () => {
    expect(offences("engine.js", 'const tx = client.db.transaction(["outbox", "retained"]);', OPENS_INDEXEDDB)).toHaveLength(1);
    expect(offences("engine.js", 'for (const row of await client.db.getAll("outbox")) {', OPENS_INDEXEDDB)).toHaveLength(1);
    expect(offences("engine.js", 'if (type !== "stock.received@v1" || p.wh !== wh) continue;', [OP_TYPE])).toHaveLength(1);
    expect(offences("engine.js", "export const saveDraft = (name, draft) => store.keepDraft(client.db, name, draft);", OPENS_INDEXEDDB)).toEqual([]);
  });
});
