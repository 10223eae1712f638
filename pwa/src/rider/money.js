// Money at the door: pesos typed by a rider, centavos everywhere else (the server's unit), and the
// change to give back. Pure functions, so the arithmetic is tested without a browser.

/** "₱1,299" or "₱1,299.50": centavos shown the way a rider reads them off a waybill. */
export function peso(centavos) {
  const n = Number(centavos) || 0;
  const whole = n % 100 === 0;
  return `${n < 0 ? "−" : ""}₱${(Math.abs(n) / 100).toLocaleString("en-PH", {
    minimumFractionDigits: whole ? 0 : 2,
    maximumFractionDigits: 2,
  })}`;
}

/** What a rider typed ("1,299", "1299.5", "₱ 500") as centavos; null when it is not an amount. */
export function toCentavos(text) {
  const clean = String(text ?? "").replace(/[₱,\s]/g, "");
  if (!/^\d{1,7}(\.\d{0,2})?$/.test(clean)) return null;
  const [pesos, cents = ""] = clean.split(".");
  return Number(pesos) * 100 + Number(cents.padEnd(2, "0"));
}

/**
 * The buyer hands over `given` for `due` (both centavos): the change to give back, or what is
 * still missing. {change, short}: one of them is 0.
 */
export function changeFor(due, given) {
  const diff = (Number(given) || 0) - (Number(due) || 0);
  return { change: Math.max(0, diff), short: Math.max(0, -diff) };
}

// Philippine bills a buyer is likely to hand over, in centavos.
const BILLS = [100_000, 50_000, 20_000, 10_000, 5_000, 2_000];

/**
 * One-tap amounts for "bills given": the exact amount first, then the round sums a buyer pays with
 * (the next multiple of ₱100, ₱500 and ₱1,000, and a single bill when it covers it), lowest first.
 */
export function quickAmounts(due, limit = 4) {
  if (!(due > 0)) return [];
  const up = (step) => Math.ceil(due / step) * step;
  const options = new Set([due, up(10_000), up(50_000), up(100_000), ...BILLS.filter((b) => b >= due)]);
  return [...options].sort((a, b) => a - b).slice(0, limit);
}
