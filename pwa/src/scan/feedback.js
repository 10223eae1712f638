// Good and bad scans must be told apart without looking: a short high beep and one buzz for good,
// two low buzzes and a long vibration for bad, plus a green or red flash on screen.
import { signal } from "@preact/signals";

/** {kind: "good"|"bad", n} — the flash overlay and the tests read it. */
export const lastFeedback = signal({ kind: "", n: 0 });

let audio;

function tone(freq, start, ms, type) {
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.type = type;
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0.0001, audio.currentTime + start);
  gain.gain.exponentialRampToValueAtTime(0.4, audio.currentTime + start + 0.01);
  gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + start + ms / 1000);
  osc.connect(gain).connect(audio.destination);
  osc.start(audio.currentTime + start);
  osc.stop(audio.currentTime + start + ms / 1000 + 0.02);
}

function play(notes) {
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") audio.resume();
    for (const n of notes) tone(...n);
  } catch {
    // no audio (or not allowed yet): the vibration and the flash still tell
  }
}

export function good() {
  play([[1760, 0, 90, "sine"]]);
  navigator.vibrate?.(50);
  lastFeedback.value = { kind: "good", n: lastFeedback.value.n + 1 };
}

export function bad() {
  play([
    [196, 0, 160, "square"],
    [147, 0.22, 220, "square"],
  ]);
  navigator.vibrate?.([200, 80, 200]);
  lastFeedback.value = { kind: "bad", n: lastFeedback.value.n + 1 };
}
