// Hybrid logical clock (PROTOCOL.md §6), the phone's side. The string form is 16 lower-case hex
// digits (12 for ms, 4 for the counter) so string order is clock order, exactly as the server keeps it.
// Phones adopt the server's clock without a forward limit: that is how a phone with a slow clock
// catches up.

const MAX_COUNTER = 0xffff;
const MAX_MS = 0xffffffffffff;

export const encodeHlc = (ms, counter) =>
  ms.toString(16).padStart(12, "0") + counter.toString(16).padStart(4, "0");

export function parseHlc(text) {
  if (!/^[0-9a-f]{16}$/.test(text)) throw new Error(`not an HLC value: ${text}`);
  return [parseInt(text.slice(0, 12), 16), parseInt(text.slice(12), 16)];
}

// Thousands of events in one millisecond borrow the next millisecond rather than overflow.
const bump = (ms, counter) => (counter >= MAX_COUNTER ? [Math.min(ms + 1, MAX_MS), 0] : [ms, counter + 1]);

export class Hlc {
  constructor(now = Date.now, last = "0000000000000000") {
    this.now = now;
    [this.ms, this.counter] = parseHlc(last);
  }

  get last() {
    return encodeHlc(this.ms, this.counter);
  }

  send() {
    const pt = this.now();
    [this.ms, this.counter] = pt > this.ms ? [pt, 0] : bump(this.ms, this.counter);
    return this.last;
  }

  receive(remote) {
    const [rms, rc] = parseHlc(remote);
    const pt = this.now();
    const top = Math.max(this.ms, rms, pt);
    if (top === this.ms && top === rms) [this.ms, this.counter] = bump(top, Math.max(this.counter, rc));
    else if (top === this.ms) [this.ms, this.counter] = bump(this.ms, this.counter);
    else if (top === rms) [this.ms, this.counter] = bump(rms, rc);
    else [this.ms, this.counter] = [pt, 0];
    return this.last;
  }
}
