// A signature drawn with a finger: pointer events on a canvas (mouse, pen and touch alike). After
// each stroke the picture is handed up as a PNG Blob (small: black strokes on white), or null when
// cleared. touch-action: none keeps the page from scrolling under the finger.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";

export function SignaturePad({ onChange, testid = "signature" }) {
  const canvas = useRef(null);
  const drawing = useRef(null); // the pointer drawing now, with its last point
  const [inked, setInked] = useState(false);

  useEffect(() => {
    // Draw at the screen's pixel density so the strokes stay sharp, on a white background.
    const c = canvas.current;
    const ratio = Math.min(2, window.devicePixelRatio || 1);
    c.width = Math.round(c.clientWidth * ratio);
    c.height = Math.round(c.clientHeight * ratio);
    const ctx = c.getContext("2d");
    ctx.scale(ratio, ratio);
    clear(ctx, c);
  }, []);

  const point = (e) => {
    const box = canvas.current.getBoundingClientRect();
    return [e.clientX - box.left, e.clientY - box.top];
  };
  const down = (e) => {
    e.preventDefault();
    canvas.current.setPointerCapture?.(e.pointerId);
    drawing.current = { id: e.pointerId, at: point(e) };
    stroke(drawing.current.at, [drawing.current.at[0] + 0.1, drawing.current.at[1]]); // a dot
  };
  const move = (e) => {
    if (!drawing.current || drawing.current.id !== e.pointerId) return;
    const to = point(e);
    stroke(drawing.current.at, to);
    drawing.current.at = to;
  };
  const up = (e) => {
    if (!drawing.current || drawing.current.id !== e.pointerId) return;
    drawing.current = null;
    setInked(true);
    canvas.current.toBlob((blob) => onChange(blob), "image/png");
  };
  const stroke = (from, to) => {
    const ctx = canvas.current.getContext("2d");
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
  };
  const wipe = () => {
    const c = canvas.current;
    clear(c.getContext("2d"), c);
    setInked(false);
    onChange(null);
  };

  return html`<div class="sign">
    <canvas ref=${canvas} class="sign-pad" data-testid=${testid} data-inked=${inked ? "yes" : "no"}
      aria-label="Pirmahan dito gamit ang daliri"
      onPointerDown=${down} onPointerMove=${move} onPointerUp=${up} onPointerCancel=${up}></canvas>
    <div class="sign-row">
      <span class="hint">${inked ? "May pirma ✓" : "Pumirma sa loob ng kahon"}</span>
      <button type="button" class="btn" onClick=${wipe} disabled=${!inked}>Burahin</button>
    </div>
  </div>`;
}

function clear(ctx, c) {
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.restore();
}
