// Anywhere a scan is expected: a hardware scanner's burst is taken wherever the focus is, the camera
// is one tap away, and typing the code by hand always works.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { startCamera } from "../scan/camera.js";
import { addScanTarget } from "../scan/wedge.js";
import { Icon } from "./icons.js";

export function ScanField({ label, hint, onScan, placeholder = "I-type ang code", testid = "scan" }) {
  const [text, setText] = useState("");
  const [camera, setCamera] = useState(false);
  const latest = useRef(onScan);
  latest.current = onScan;

  // The field shown last is the one a hardware scanner's burst goes to. A layout effect registers
  // it in the same task as the render, before the next key can arrive.
  useLayoutEffect(() => addScanTarget((code) => latest.current(code, "scanner")), []);

  const submit = (event) => {
    event.preventDefault();
    const code = text.trim();
    if (!code) return;
    setText("");
    latest.current(code, "typed");
  };

  return html`<section class="scan" data-testid=${testid}>
    <h2 class="scan-label">${label}</h2>
    ${hint && html`<p class="hint">${hint}</p>`}
    <button type="button" class="btn btn-camera" data-testid=${`${testid}-camera`} onClick=${() => setCamera(true)}>
      <${Icon} name="camera" size=${24} /> I-scan gamit ang camera
    </button>
    <form class="scan-row" onSubmit=${submit}>
      <input
        class="input"
        value=${text}
        onInput=${(e) => setText(e.currentTarget.value)}
        placeholder=${placeholder}
        autocomplete="off"
        autocapitalize="characters"
        spellcheck=${false}
        enterkeyhint="done"
        aria-label=${label}
        data-testid=${`${testid}-input`}
      />
      <button type="submit" class="btn btn-ok">OK</button>
    </form>
    ${camera &&
    html`<${CameraScanner}
      onCode=${(code) => {
        setCamera(false);
        latest.current(code, "camera");
      }}
      onClose=${() => setCamera(false)}
    />`}
  </section>`;
}

function CameraScanner({ onCode, onClose }) {
  const video = useRef(null);
  const [error, setError] = useState("");
  const [kind, setKind] = useState("");

  useEffect(() => {
    const camera = startCamera(video.current, onCode);
    camera.ready
      .then((reader) => reader && setKind(reader))
      .catch((exc) =>
        setError(exc?.name === "NotAllowedError" ? "Hindi pinayagan ang camera." : `Hindi mabuksan ang camera (${exc?.name ?? exc}).`),
      );
    const hide = () => document.visibilityState === "hidden" && onClose();
    document.addEventListener("visibilitychange", hide);
    return () => {
      camera.stop(); // the camera is released whenever the scanner closes, however it closes
      document.removeEventListener("visibilitychange", hide);
    };
  }, []);

  return html`<div class="camera" role="dialog" aria-label="Camera scanner" data-testid="camera" data-reader=${kind}>
    <video ref=${video} muted playsinline></video>
    <div class="camera-aim" aria-hidden="true"></div>
    ${error ? html`<p class="camera-error" role="alert">${error} I-type na lang ang code.</p>` : html`<p class="camera-help">Itapat ang barcode sa gitna</p>`}
    <button type="button" class="btn btn-close" data-testid="camera-close" onClick=${onClose}>Isara</button>
  </div>`;
}
