// When to sync: on start, when the network comes back, when the app becomes visible, after every
// write, on a backoff timer after failures, and every minute while visible (to keep reference data
// fresh). Never "only on the next write": a queue that waits for the next scan gets stuck overnight.
// One sync at a time; a trigger during a sync makes it run once more.
//
// While work waits in the outbox the backoff is capped at `workRetryMs` (a few seconds): after a
// server outage the first try that can succeed is a few seconds away, not minutes. With nothing
// waiting (only reference data to pull) the backoff grows to its 5 minutes, sparing the battery.
// `nextAt` says when the next try is, so the status bar can say it.

export class Scheduler {
  constructor(client, { onState = () => {}, idleMs = 60_000, workRetryMs = 4_000, win = globalThis.window, doc = globalThis.document } = {}) {
    Object.assign(this, { client, onState, idleMs, workRetryMs, win, doc });
    this.running = false;
    this.again = false;
    this.timer = null;
    this.nextAt = null;
    this.listeners = [];
  }

  start() {
    const on = (target, name, fn) => {
      if (!target) return;
      target.addEventListener(name, fn);
      this.listeners.push(() => target.removeEventListener(name, fn));
    };
    on(this.win, "online", () => this.kick("online"));
    on(this.doc, "visibilitychange", () => {
      if (this.doc.visibilityState === "visible") this.kick("visible");
    });
    this.kick("start");
  }

  stop() {
    this.listeners.forEach((off) => off());
    this.listeners = [];
    clearTimeout(this.timer);
    this.timer = null;
    this.nextAt = null;
  }

  /** Ask for a sync now. `manual` (the Sync now button) also forgets the backoff. */
  kick(reason = "write") {
    if (reason === "manual") this.client.state.failures = 0;
    if (this.running) {
      this.again = true;
      return this.done;
    }
    this.done = this._run();
    return this.done;
  }

  async _run() {
    this.running = true;
    clearTimeout(this.timer);
    this.timer = null;
    const report = { rounds: 0, pushed: 0, changes: 0, resets: 0, done: false, error: "" };
    try {
      while (!this.client.stopped && report.rounds < 100) {
        this.again = false;
        report.rounds += 1;
        const more = await this.client.round(report);
        this.onState(report);
        if (report.error) break;
        if (!more && !this.again) {
          report.done = true;
          break;
        }
      }
    } catch (exc) {
      report.error = String(exc?.message ?? exc); // a local storage failure: try again later
      this.client.state.failures += 1;
    } finally {
      this.running = false;
      if (report.error) report.waiting = await this.client.counts().then((c) => c.pending > 0, () => true);
      this._plan(report);
      this.onState(report);
    }
    return report;
  }

  _plan(report) {
    if (this.client.stopped) return;
    const hidden = this.doc?.visibilityState === "hidden";
    let wait = null;
    if (report.error) wait = report.waiting ? Math.min(this.workRetryMs, this.client.backoffMs()) : this.client.backoffMs();
    else if (!report.done) wait = 0; // hit the round limit: carry on
    else if (!hidden) wait = this.idleMs;
    this.nextAt = null;
    if (wait === null) return;
    this.nextAt = Date.now() + wait;
    this.timer = setTimeout(() => this.kick("timer"), wait);
  }
}
