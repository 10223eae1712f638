// A few line icons as inline SVG: emoji fonts are missing on some phones, and these stay sharp.
import { html } from "../html.js";

const PATHS = {
  box: "M3 7l9-4 9 4v10l-9 4-9-4zM3 7l9 4 9-4M12 11v10",
  count: "M4 4h16v16H4zM8 9h8M8 13h8M8 17h5",
  camera: "M3 8h4l2-3h6l2 3h4v11H3zM12 17a4 4 0 1 0 0-8 4 4 0 0 0 0 8z",
  scooter: "M5 17a2 2 0 1 0 0 .1M19 17a2 2 0 1 0 0 .1M7 17h8l3-7h-4M14 6h3",
  cash: "M3 6h18v12H3zM12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z",
  alert: "M12 3l10 18H2zM12 10v5M12 18v.1",
  pick: "M4 4h16v6H4zM4 14h16v6H4zM9 7h6M9 17h6",
  truck: "M2 6h12v10H2zM14 10h4l3 3v3h-7M6 19a2 2 0 1 0 0-.1M17 19a2 2 0 1 0 0-.1",
  move: "M4 7h13l-3-3M20 17H7l3 3",
  search: "M10 17a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM15 15l6 6",
  back: "M9 14L4 9l5-5M4 9h10a6 6 0 0 1 0 12h-3",
};

export const Icon = ({ name, size = 32 }) =>
  html`<svg width=${size} height=${size} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
    stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d=${PATHS[name]} /></svg>`;
