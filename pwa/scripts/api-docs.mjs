// Vendor Swagger UI (the npm package swagger-ui-dist, pinned by package-lock.json) into the server
// package, so /schema and /schema/swagger load their JavaScript and CSS from Bodega itself: the API
// docs work on a deployment without internet. The server serves them at /schema/static/ (gzipped
// copies too, for slow links); a wheel built after this step carries them as package data.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const FILES = ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"];
const source = new URL("../node_modules/swagger-ui-dist/", import.meta.url).pathname;
const target = new URL("../../server/apidocs/static/", import.meta.url).pathname;

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const name of FILES) {
  copyFileSync(join(source, name), join(target, name));
  if (/\.(js|css)$/.test(name)) writeFileSync(join(target, name + ".gz"), gzipSync(readFileSync(join(source, name)), { level: 9 }));
}
const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
writeFileSync(join(target, "VERSION"), version + "\n");
console.log(`Swagger UI ${version} vendored into server/apidocs/static/`);
