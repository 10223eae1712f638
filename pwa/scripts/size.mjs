// After `vite build`: measure the app shell (the JavaScript index.html loads before the app is
// interactive, gzipped: the budget is 50 KB), write dist/shell-size.json, and write .gz copies of
// text assets and the scanner's WebAssembly for the server to send to phones that accept gzip.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 50 * 1024;
const CONSOLE_BUDGET = 150 * 1024; // the office console, on a desktop: its own budget, never the phone's
const dist = process.argv[2] ?? new URL("../dist/", import.meta.url).pathname;
const gz = (file) => gzipSync(readFileSync(file), { level: 9 });

const html = readFileSync(join(dist, "index.html"), "utf8");
const shell = new Set();
for (const m of html.matchAll(/<script[^>]+src="\/([^"]+\.js)"/g)) shell.add(m[1]);
for (const m of html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g)) shell.add(m[1]);
const files = Object.fromEntries([...shell].map((f) => [f, gz(join(dist, f)).length]));
const total = Object.values(files).reduce((a, b) => a + b, 0);

const walk = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
// The console's page: what console.html loads, and its console-only chunks loaded later (charts).
const consoleHtml = readFileSync(join(dist, "console.html"), "utf8");
const consoleShell = new Set();
for (const m of consoleHtml.matchAll(/<script[^>]+src="\/([^"]+\.js)"/g)) consoleShell.add(m[1]);
for (const m of consoleHtml.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g)) consoleShell.add(m[1]);
const consoleTotal = [...consoleShell].reduce((a, f) => a + gz(join(dist, f)).length, 0);
const isConsole = (rel) => /(^|\/)console-/.test(rel);

let lazy = 0;
let consoleLazy = 0;
for (const file of walk(dist)) {
  const rel = relative(dist, file);
  if (/\.js$/.test(file) && isConsole(rel) && !consoleShell.has(rel)) consoleLazy += gz(file).length;
  else if (/\.js$/.test(file) && !shell.has(rel) && !consoleShell.has(rel) && !file.endsWith("sw.js")) lazy += gz(file).length;
  if (/\.(js|css|html|wasm|webmanifest)$/.test(file)) writeFileSync(file + ".gz", gz(file));
}

const report = {
  shell_js_gz_bytes: total,
  shell_js_gz_kb: +(total / 1024).toFixed(1),
  budget_kb: BUDGET / 1024,
  files,
  lazy_js_gz_bytes: lazy,
  console_js_gz_bytes: consoleTotal,
  console_lazy_js_gz_bytes: consoleLazy,
  console_budget_kb: CONSOLE_BUDGET / 1024,
};
writeFileSync(join(dist, "shell-size.json"), JSON.stringify(report, null, 2) + "\n");
console.log(`app shell JS: ${report.shell_js_gz_kb} KB gzipped (budget ${BUDGET / 1024} KB); lazy chunks ${(lazy / 1024).toFixed(1)} KB`);
console.log(`web console JS: ${(consoleTotal / 1024).toFixed(1)} KB gzipped (budget ${CONSOLE_BUDGET / 1024} KB); charts ${(consoleLazy / 1024).toFixed(1)} KB`);
if (consoleTotal > CONSOLE_BUDGET) {
  console.error("the web console is over its JavaScript budget");
  process.exit(1);
}
if (total > BUDGET) {
  console.error("the app shell is over its JavaScript budget");
  process.exit(1);
}
