// What is in a parcel, as the stop entity sends it (server/cod/entities.py): [[sku code, name, qty]],
// read leniently ([[sku, qty]], {sku, name, qty} or plain text) so an older server's stop still shows.

/** One line per item: "2 × Cotton T-shirt, M" (the name when there is one, else the SKU code). */
export function itemLines(items) {
  return (Array.isArray(items) ? items : []).map((it) => {
    if (Array.isArray(it)) {
      const [code, name, qty] = it.length >= 3 ? it : [it[0], "", it[1]];
      return `${qty ?? 1} × ${name || code}`;
    }
    if (it && typeof it === "object") return `${it.qty ?? 1} × ${it.name || it.sku || ""}`;
    return String(it);
  });
}
