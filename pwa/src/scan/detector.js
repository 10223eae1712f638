// Which barcode reader to use: the phone's own BarcodeDetector when it reads every format our
// labels use, else the zxing WebAssembly ponyfill, loaded only when the camera is first opened and
// served from this server (its default is a CDN: a phone offline in a warehouse cannot reach it).
import wasmUrl from "zxing-wasm/reader/zxing_reader.wasm?url";

export const FORMATS = ["ean_13", "ean_8", "upc_a", "upc_e", "code_128", "code_39", "qr_code"];
const NEEDED = ["ean_13", "upc_a", "code_128"]; // GS1 product codes and Bodega's own labels

let chosen;

export function getDetector() {
  chosen ??= choose().catch((exc) => {
    chosen = undefined;
    throw exc;
  });
  return chosen;
}

async function choose() {
  const Native = globalThis.BarcodeDetector;
  if (Native?.getSupportedFormats) {
    const supported = await Native.getSupportedFormats().catch(() => []);
    if (NEEDED.every((f) => supported.includes(f))) {
      return { kind: "native", detector: new Native({ formats: FORMATS.filter((f) => supported.includes(f)) }) };
    }
  }
  const { BarcodeDetector, prepareZXingModule } = await import("barcode-detector/ponyfill");
  prepareZXingModule({
    overrides: { locateFile: (file, prefix) => (file.endsWith(".wasm") ? wasmUrl : prefix + file) },
  });
  return { kind: "wasm", detector: new BarcodeDetector({ formats: FORMATS }) };
}
