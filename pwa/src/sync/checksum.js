// Scope checksums (PROTOCOL.md §4.4): the sum mod 2^64 of one 64-bit hash per entity, kept up to
// date as changes are applied so checking an end marker costs nothing.
import { sha256Words } from "./sha256.js";

const MASK = (1n << 64n) - 1n;
const utf8 = new TextEncoder();

/** JSON with sorted keys and no whitespace, strings escaped as JSON.stringify does. */
export function canonicalJson(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  return (
    "{" +
    Object.keys(value)
      .sort()
      .map((k) => JSON.stringify(k) + ":" + canonicalJson(value[k]))
      .join(",") +
    "}"
  );
}

export function entityHash(kind, key, val) {
  const words = sha256Words(utf8.encode(kind + "\x1f" + key + "\x1f" + canonicalJson(val)));
  return (BigInt(words[0]) << 32n) | BigInt(words[1]);
}

export const sumHex = (n) => n.toString(16).padStart(16, "0");
export const parseSum = (hex) => (hex ? BigInt("0x" + hex) : 0n);

/** Replace `old` by `val` (either may be null/undefined: absent) in a running sum (hex in, hex out). */
export function updateSum(sum, kind, key, old, val) {
  let n = parseSum(sum);
  if (old !== null && old !== undefined) n = (n - entityHash(kind, key, old)) & MASK;
  if (val !== null && val !== undefined) n = (n + entityHash(kind, key, val)) & MASK;
  return sumHex(n);
}

export function scopeChecksum(entities) {
  let n = 0n;
  for (const [kind, key, val] of entities) n = (n + entityHash(kind, key, val)) & MASK;
  return sumHex(n);
}
