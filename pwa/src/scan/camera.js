// The camera: opened for one scan, read a few times a second, and released (every track stopped)
// the moment the scanner closes, whatever stage it had reached, so the phone's camera light goes
// off and the battery is spared.
import { getDetector } from "./detector.js";

const EVERY_MS = 150;

/**
 * Start scanning into `video`; onCode(text) is called once, for the first barcode read.
 * Returns at once {stop, ready}: stop() may be called at any time, even before the camera is
 * open; `ready` resolves with the reader's kind ("native" or "wasm") once frames are being read.
 */
export function startCamera(video, onCode) {
  let stopped = false;
  let stream = null;
  let timer = null;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    stream?.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
  };
  const ready = (async () => {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false,
    });
    if (stopped) return stop(); // closed while the phone was asking for the camera
    video.srcObject = stream;
    video.setAttribute("playsinline", "");
    video.muted = true;
    await video.play();
    const { detector, kind } = await getDetector();
    const tick = async () => {
      if (stopped) return;
      try {
        const [found] = await detector.detect(video);
        if (found?.rawValue && !stopped) {
          stop();
          onCode(found.rawValue);
          return;
        }
      } catch {
        // a frame that could not be read (not ready yet): try the next one
      }
      if (!stopped) timer = setTimeout(tick, EVERY_MS);
    };
    tick();
    return kind;
  })().catch((exc) => {
    stop();
    throw exc;
  });
  return { stop, ready };
}
