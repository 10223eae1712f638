// Orders: find one the way the office is asked about it (the channel's order number, the waybill
// on the parcel, the customer's phone), or browse by status, channel and day; Enter opens its story.
import { html } from "../html.js";
import { pesos, when } from "./api.js";
import { navigate } from "./router.js";
import { Chip, Page } from "./kit.js";
import { DataTable } from "./table.js";

export const STATUSES = ["pending", "on_hold", "allocated", "picking", "packed", "shipped", "delivered", "failed_delivery", "return_to_sender", "returned", "cancelled"];
export const CHANNELS = ["shopee", "lazada", "tiktok", "webstore"];
// A day typed in the filter is a Manila day: from its midnight, to the next midnight.
const dayStart = (d) => `${d}T00:00:00+08:00`;
const dayEnd = (d) => {
  const next = new Date(`${d}T00:00:00+08:00`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString();
};

export const ORDER_FILTERS = [
  { name: "external_id", label: "Order no. (channel)", type: "search", placeholder: "hal. 2412045ABC" },
  { name: "waybill", label: "Waybill", type: "text", placeholder: "JT0001234567" },
  { name: "phone", label: "Customer phone", type: "text", placeholder: "0917 123 4567" },
  { name: "status", label: "Status", type: "select", options: STATUSES.map((s) => [s, s.replace(/_/g, " ")]) },
  { name: "channel", label: "Channel", type: "select", options: CHANNELS.map((c) => [c, c]) },
  // Held orders a supervisor decided wait for a restock (they get the next stock first).
  { name: "backordered", label: "Backorder", type: "select", options: [["true", "backordered"], ["false", "not backordered"]] },
  { name: "placed_from", label: "Placed from", type: "date", param: dayStart },
  { name: "placed_to", label: "Placed to (incl.)", type: "date", param: dayEnd },
];

const COLUMNS = [
  { key: "external_id", label: "Order no." },
  { key: "shop", label: "Shop", render: (o) => html`${o.shop} <small>${o.channel}</small>` },
  {
    key: "status",
    label: "Status",
    render: (o) => html`<${Chip} value=${o.status} />${o.backordered ? html` <${Chip} value="backordered" />` : ""}`,
  },
  { key: "customer_name", label: "Customer", render: (o) => html`${o.customer_name}<small>${o.phone}</small>` },
  { key: "city", label: "City", render: (o) => `${o.city}, ${o.province}` },
  { key: "payment_method", label: "Pay" },
  { key: "total_amount", label: "Total", num: true, sort: "total_amount", render: (o) => pesos(o.total_amount) },
  { key: "cod_amount", label: "COD", num: true, sort: "cod_amount", render: (o) => (o.cod_amount ? pesos(o.cod_amount) : "—") },
  { key: "warehouse", label: "WH", render: (o) => o.warehouse || "—" },
  { key: "placed_at", label: "Placed", sort: "placed_at", render: (o) => when(o.placed_at) },
  { key: "ship_by", label: "Ship by", sort: "ship_by", render: (o) => when(o.ship_by) },
];

export function OrderList() {
  return html`<${Page} title="Orders" testid="orders">
    <${DataTable}
      testid="orders-table"
      endpoint="/api/v1/orders"
      columns=${COLUMNS}
      filters=${ORDER_FILTERS}
      defaultSort="-placed_at"
      onOpen=${(o) => navigate(`/orders/${o.id}`)}
      empty="Walang order na tugma sa hinahanap."
    />
  </${Page}>`;
}
