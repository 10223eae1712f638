// After `vite build`: measure the app shell (the JavaScript index.html loads before the app is
// interactive, gzipped: the budget is 50 KB), write dist/shell-size.json, and write .gz copies of
// text assets and the scanner's WebAssembly for the server to send to phones that accept gzip.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 50 * 1024;
const dist = process.argv[2] ?? new URL("../dist/", import.meta.url).pathname;
const gz = (file) => gzipSync(readFileSync(file), { level: 9 });

const html = readFileSync(join(dist, "index.html"), "utf8");
const shell = new Set();
for (const m of html.matchAll(/<script[^>]+src="\/([^"]+\.js)"/g)) shell.add(m[1]);
for (const m of html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g)) shell.add(m[1]);
const files = Object.fromEntries([...shell].map((f) => [f, gz(join(dist, f)).length]));
const total = Object.values(files).reduce((a, b) => a + b, 0);

const walk = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
let lazy = 0;
for (const file of walk(dist)) {
  if (/\.js$/.test(file) && !shell.has(relative(dist, file)) && !file.endsWith("sw.js")) lazy += gz(file).length;
  if (/\.(js|css|html|wasm|webmanifest)$/.test(file)) writeFileSync(file + ".gz", gz(file));
}

const report = { shell_js_gz_bytes: total, shell_js_gz_kb: +(total / 1024).toFixed(1), budget_kb: BUDGET / 1024, files, lazy_js_gz_bytes: lazy };
writeFileSync(join(dist, "shell-size.json"), JSON.stringify(report, null, 2) + "\n");
console.log(`app shell JS: ${report.shell_js_gz_kb} KB gzipped (budget ${BUDGET / 1024} KB); lazy chunks ${(lazy / 1024).toFixed(1)} KB`);
if (total > BUDGET) {
  console.error("the app shell is over its JavaScript budget");
  process.exit(1);
}
