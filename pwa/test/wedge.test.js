import { describe, expect, it, vi } from "vitest";
import { WedgeDetector } from "../src/scan/wedge.js";

function feed(detector, text, { gap, start = 1000, enterAfter = gap, target = null }) {
  let t = start;
  let consumed = false;
  for (const key of text) {
    detector.key({ key, timeStamp: t, target });
    if (target) target.value += key;
    t += gap;
  }
  consumed = detector.key({ key: "Enter", timeStamp: t - gap + enterAfter, target });
  return consumed;
}

describe("keyboard-wedge scanner detection", () => {
  it("takes a fast burst ending in Enter as a scan", async () => {
    vi.useFakeTimers();
    const onScan = vi.fn();
    const detector = new WedgeDetector({ onScan });
    expect(feed(detector, "4800016644801", { gap: 8 })).toBe(true);
    vi.runAllTimers();
    expect(onScan).toHaveBeenCalledWith("4800016644801");
    vi.useRealTimers();
  });

  it("leaves slow typing alone, even when it ends in Enter", () => {
    const onScan = vi.fn();
    const detector = new WedgeDetector({ onScan });
    expect(feed(detector, "4800016644801", { gap: 90 })).toBe(false);
    expect(feed(detector, "RCV-01", { gap: 70 })).toBe(false); // a very fast typist
    expect(onScan).not.toHaveBeenCalled();
  });

  it("ignores a fast double key press followed by a person's Enter, and a late Enter", () => {
    const onScan = vi.fn();
    const detector = new WedgeDetector({ onScan });
    expect(feed(detector, "12", { gap: 5, enterAfter: 120 })).toBe(false);
    expect(feed(detector, "12", { gap: 40, enterAfter: 40 })).toBe(false); // rollover speed, not a scanner's
    expect(feed(detector, "4800016644801", { gap: 5, enterAfter: 800 })).toBe(false);
    expect(onScan).not.toHaveBeenCalled();
  });

  it("a burst after slow typing is still a scan; only the burst is the code", async () => {
    vi.useFakeTimers();
    const onScan = vi.fn();
    const detector = new WedgeDetector({ onScan });
    for (const [i, key] of [..."abc"].entries()) detector.key({ key, timeStamp: i * 200 });
    expect(feed(detector, "BDG-000001", { gap: 6, start: 5000 })).toBe(true);
    vi.runAllTimers();
    expect(onScan).toHaveBeenCalledWith("BDG-000001");
    vi.useRealTimers();
  });

  it("puts back the field the scanner typed into", () => {
    const field = { value: "5", dispatchEvent: vi.fn() };
    const detector = new WedgeDetector({ onScan: () => {} });
    expect(feed(detector, "4800016644801", { gap: 5, target: field })).toBe(true);
    expect(field.value).toBe("5");
    expect(field.dispatchEvent).toHaveBeenCalledOnce();
  });

  it("does not count modifier keys against the burst", async () => {
    vi.useFakeTimers();
    const onScan = vi.fn();
    const detector = new WedgeDetector({ onScan });
    let t = 0;
    for (const key of ["Shift", "B", "Shift", "D", "Shift", "G", "-", "0", "0", "1"]) detector.key({ key, timeStamp: (t += 4) });
    expect(detector.key({ key: "Enter", timeStamp: t + 4 })).toBe(true);
    vi.runAllTimers();
    expect(onScan).toHaveBeenCalledWith("BDG-001");
    vi.useRealTimers();
  });
});

describe("short codes from a quantity sheet", () => {
  it("takes 1-3 digit bursts with a machine-fast Enter as scans", () => {
    vi.useFakeTimers();
    const onScan = vi.fn();
    const detector = new WedgeDetector({ onScan });
    expect(feed(detector, "24", { gap: 4, start: 1000 })).toBe(true);
    expect(feed(detector, "6", { gap: 4, start: 3000 })).toBe(true);
    expect(feed(detector, "120", { gap: 8, start: 5000 })).toBe(true);
    vi.runAllTimers();
    expect(onScan.mock.calls.map((c) => c[0])).toEqual(["24", "6", "120"]);
    vi.useRealTimers();
  });

  it("leaves a typed quantity alone: a person's Enter comes later", () => {
    const onScan = vi.fn();
    const detector = new WedgeDetector({ onScan });
    expect(feed(detector, "24", { gap: 110, enterAfter: 150 })).toBe(false);
    expect(feed(detector, "5", { gap: 0, start: 9000, enterAfter: 90 })).toBe(false);
    expect(onScan).not.toHaveBeenCalled();
  });

  it("does not forgive a held-back key in a short burst", () => {
    const onScan = vi.fn();
    const detector = new WedgeDetector({ onScan });
    expect(feed(detector, "12", { gap: 120, enterAfter: 4 })).toBe(false);
    expect(onScan).not.toHaveBeenCalled();
  });
});

describe("a phone busy for a moment", () => {
  it("forgives one held-back key inside a burst", () => {
    vi.useFakeTimers();
    const onScan = vi.fn();
    const detector = new WedgeDetector({ onScan });
    const times = [0, 5, 10, 15, 140, 145, 150, 155, 160]; // the fifth key was held back 125 ms
    [..."480001664"].forEach((key, i) => detector.key({ key, timeStamp: 1000 + times[i] }));
    expect(detector.key({ key: "Enter", timeStamp: 1165 })).toBe(true);
    vi.runAllTimers();
    expect(onScan).toHaveBeenCalledWith("480001664");
    vi.useRealTimers();
  });

  it("but not a slow key typed just before a burst, nor two long gaps", () => {
    vi.useFakeTimers();
    const onScan = vi.fn();
    const detector = new WedgeDetector({ onScan });
    const times = [0, 150, 155, 160, 165, 170]; // "1" typed by hand, then the scanner
    [..."1BDG-0"].forEach((key, i) => detector.key({ key, timeStamp: 1000 + times[i] }));
    expect(detector.key({ key: "Enter", timeStamp: 1175 })).toBe(true);
    vi.runAllTimers();
    expect(onScan).toHaveBeenLastCalledWith("BDG-0");
    const slow = [0, 5, 100, 105, 200, 205];
    [..."ABCDEF"].forEach((key, i) => detector.key({ key, timeStamp: 5000 + slow[i] }));
    expect(detector.key({ key: "Enter", timeStamp: 5210 })).toBe(false);
    vi.useRealTimers();
  });
});
