// App icons drawn at build time (no binary files in the repository, no image library):
// a white parcel with a strip of tape on Bodega green. PNGs are written with node's zlib.
import { deflateSync } from "node:zlib";

const GREEN = [13, 59, 46];
const WHITE = [255, 255, 255];
const TAPE = [245, 183, 0];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** An RGB PNG of `size` pixels square; `paint(x, y)` (0..1 coordinates) gives each pixel's colour. */
export function png(size, paint) {
  const raw = Buffer.alloc(size * (size * 3 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const [r, g, b] = paint((x + 0.5) / size, (y + 0.5) / size);
      const at = y * (size * 3 + 1) + 1 + x * 3;
      raw[at] = r;
      raw[at + 1] = g;
      raw[at + 2] = b;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

/** The parcel, scaled to fill `inset`..1-`inset`: maskable icons keep it inside the safe zone. */
function parcel(inset) {
  const span = 1 - 2 * inset;
  return (px, py) => {
    const x = (px - inset) / span;
    const y = (py - inset) / span;
    const inBox = x > 0.18 && x < 0.82 && y > 0.24 && y < 0.8;
    if (!inBox) return GREEN;
    if (y < 0.34) return x > 0.44 && x < 0.56 ? TAPE : WHITE; // the lid, taped down the middle
    if (Math.abs(y - 0.34) < 0.02) return GREEN; // the lid's edge
    return x > 0.44 && x < 0.56 && y < 0.5 ? TAPE : WHITE;
  };
}

export const ICONS = {
  "icons/icon-192.png": () => png(192, parcel(0.02)),
  "icons/icon-512.png": () => png(512, parcel(0.02)),
  "icons/maskable-192.png": () => png(192, parcel(0.12)),
  "icons/maskable-512.png": () => png(512, parcel(0.12)),
  "icons/apple-touch-icon.png": () => png(180, parcel(0.06)),
  "favicon.png": () => png(48, parcel(0)),
};

/** A Vite plugin that adds the icons to the build output (and serves them in `vite dev`). */
export function iconsPlugin() {
  return {
    name: "bodega-icons",
    generateBundle() {
      for (const [fileName, make] of Object.entries(ICONS)) this.emitFile({ type: "asset", fileName, source: make() });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const make = ICONS[req.url?.slice(1)];
        if (!make) return next();
        res.setHeader("Content-Type", "image/png");
        res.end(make());
      });
    },
  };
}
