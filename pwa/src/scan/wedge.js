// Hardware "keyboard wedge" scanners type the barcode as keystrokes a few milliseconds apart and
// finish with Enter. People type far slower (rarely under 60 ms between keys, never for a whole
// code). So at Enter we look back over the last keys: if at least `minLength` of them came in a
// burst (gaps under `maxGapMs`), it is a scan and the burst is the code; anything slower is typing
// and is left alone. One longer gap inside a burst is forgiven: a phone busy for a moment (saving
// the previous scan, say) can hold one key back.
//
// Short codes (a quantity sheet's "24", "6") are scans too, held to a stricter test: every key and
// the Enter within `shortGapMs` of the one before. A person's fastest rollover of two keys is about
// that quick, but never three keys and Enter in a row: Enter after a typed number comes 100 ms or
// more later. Without this a scanned "24" went into whatever had focus (the + button: Enter clicked it).

export class WedgeDetector {
  constructor({ onScan, maxGapMs = 50, hiccupMs = 250, minLength = 4, enterWithinMs = 150, shortGapMs = 25, keep = 80 } = {}) {
    Object.assign(this, { onScan, maxGapMs, hiccupMs, minLength, enterWithinMs, shortGapMs, keep });
    this.reset();
  }

  reset() {
    this.keys = []; // {ch, t, field, before}: the field typed into and its value before this key
  }

  /** Feed one keydown. Returns true when the event completed a scan (the caller cancels it). */
  key(event) {
    const now = event.timeStamp;
    if (event.key === "Enter") {
      const burst = this._burst(now);
      this.reset();
      if (!burst) return false;
      // The scanner typed into whatever had focus: put that field back as it was.
      const { field, before } = burst[0];
      if (field && "value" in field && field.value !== before) {
        field.value = before;
        field.dispatchEvent(new Event("input", { bubbles: true })); // so a controlled field's state follows
      }
      // After the screen has caught up with that undo: the scan's handler must see the field's
      // value from before the burst, not the digits the scanner typed into it.
      const code = burst.map((k) => k.ch).join("");
      setTimeout(() => this.onScan(code), 0);
      return true;
    }
    if (event.key.length !== 1 || event.ctrlKey || event.altKey || event.metaKey) return false; // Shift, Tab ...
    const field = event.target ?? null;
    this.keys.push({ ch: event.key, t: now, field, before: field && "value" in field ? field.value : "" });
    if (this.keys.length > this.keep) this.keys.shift();
    return false;
  }

  /** The keys of the burst that Enter at `now` closes, or null if it closes only typing. */
  _burst(now) {
    const keys = this.keys;
    const gap = (i) => keys[i].t - keys[i - 1].t; // before key i
    let start = keys.length - 1;
    if (start < 0 || now - keys[start].t > this.enterWithinMs) return null;
    let forgiven = false;
    while (start > 0) {
      if (gap(start) <= this.maxGapMs) start -= 1;
      else if (!forgiven && gap(start) <= this.hiccupMs && start > 1 && gap(start - 1) <= this.maxGapMs) {
        forgiven = true; // one held-back key with fast keys on both sides: still the burst
        start -= 1;
      } else break;
    }
    const burst = keys.slice(start);
    // At least minLength keys joined by fast gaps (the forgiven one aside): two quick pairs of
    // keys, as fast typists' rollovers make, are still typing.
    const fast = burst.length - 1 - (forgiven ? 1 : 0);
    if (burst.length >= this.minLength) return fast >= this.minLength - 1 ? burst : null;
    return !forgiven && this._short(burst, keys[start - 1], now) ? burst : null;
  }

  /** A 1–3 key burst is a scan only if machine-fast throughout, Enter included, and apart from
   *  any key just typed before it (a typed "1" then a quick "2⏎" is typing). */
  _short(burst, before, now) {
    if (now - burst.at(-1).t > this.shortGapMs) return false;
    if (before && burst[0].t - before.t < this.hiccupMs) return false;
    return burst.every((k, i) => i === 0 || k.t - burst[i - 1].t <= this.shortGapMs);
  }
}

// One listener for the whole app, installed once and never removed: a scan that arrives while a
// screen is changing (the next step's field not mounted yet) is still read, and goes to whichever
// field expects a scan when it completes. Screens register the field that expects one.
const targets = [];
let detector = null;

function install() {
  detector = new WedgeDetector({ onScan: (code) => targets.at(-1)?.(code) });
  document.addEventListener(
    "keydown",
    (event) => {
      if (!targets.length && event.key === "Enter") return void detector.reset(); // no scan expected
      if (detector.key(event)) {
        event.preventDefault();
        event.stopPropagation();
      }
    },
    true,
  );
}

/** `onScan(code)` receives scanner bursts until the returned function is called. */
export function addScanTarget(onScan) {
  if (!detector) install();
  targets.push(onScan);
  return () => {
    const i = targets.lastIndexOf(onScan);
    if (i >= 0) targets.splice(i, 1);
  };
}
