// Proof photos, made small ON THE PHONE: a rider uploads 60 of them over mobile data at the end of a
// day, so each is scaled to at most 1280 px on its long side and saved as JPEG at the highest
// quality that fits 200 KB (stepping down; if even the lowest does not fit, a smaller picture).

export const MAX_SIDE = 1280;
export const MAX_BYTES = 200 * 1024;
export const QUALITIES = [0.82, 0.72, 0.62, 0.52, 0.42, 0.32];
export const SCALES = [1, 0.75, 0.5, 0.35];

/** The picture's size fitted within `max` on its long side (never enlarged), whole pixels. */
export function fitWithin(width, height, max = MAX_SIDE) {
  const scale = Math.min(1, max / Math.max(width, height, 1));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * The first encoding that fits: `encode(scale, quality)` resolves a Blob. Tries the qualities at full
 * (fitted) size, then the same at smaller scales. Resolves {blob, scale, quality, tries}; when nothing
 * fits (a pathological picture) the smallest attempt, so a proof is never lost to a size rule.
 */
export async function smallEnough(encode, { maxBytes = MAX_BYTES, qualities = QUALITIES, scales = SCALES } = {}) {
  let last = null;
  let tries = 0;
  for (const scale of scales) {
    for (const quality of qualities) {
      const blob = await encode(scale, quality);
      tries += 1;
      last = { blob, scale, quality, tries };
      if (blob.size <= maxBytes) return last;
    }
  }
  return last;
}

/** A photo file from the camera (or gallery) as a JPEG Blob within MAX_SIDE and MAX_BYTES. */
export async function compressPhoto(file, { maxSide = MAX_SIDE, maxBytes = MAX_BYTES } = {}) {
  const image = await createImageBitmap(file, { imageOrientation: "from-image" });
  const fitted = fitWithin(image.width, image.height, maxSide);
  const canvas = document.createElement("canvas");
  const encode = (scale, quality) => {
    canvas.width = Math.max(1, Math.round(fitted.width * scale));
    canvas.height = Math.max(1, Math.round(fitted.height * scale));
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff"; // a transparent PNG would turn black as JPEG
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the phone could not encode the photo"))), "image/jpeg", quality),
    );
  };
  try {
    const out = await smallEnough(encode, { maxBytes });
    return { ...out, width: canvas.width, height: canvas.height };
  } finally {
    image.close?.();
  }
}
