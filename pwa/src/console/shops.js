// Shops (one per channel account) and their listings: which channel item is which SKU.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { api, when } from "./api.js";
import { setQuery } from "./router.js";
import { Chip, Drawer, Form, Page, useOptions, warehouseOptions } from "./kit.js";
import { DataTable } from "./table.js";

const CHANNELS = [["shopee", "Shopee"], ["lazada", "Lazada"], ["tiktok", "TikTok Shop"], ["webstore", "Webstore"]];

export function Shops() {
  const warehouses = warehouseOptions();
  const [drawer, setDrawer] = useState("");
  const [reload, setReload] = useState(0);
  const shops = useOptions("/api/v1/shops?limit=500", (s) => [s.code, `${s.code} (${s.channel})`], reload);
  const done = () => setReload(reload + 1);
  const shopColumns = [
    { key: "code", label: "Shop" },
    { key: "name", label: "Name" },
    { key: "channel", label: "Channel" },
    { key: "external_shop_id", label: "Channel shop id", render: (s) => s.external_shop_id || "—" },
    { key: "default_warehouse", label: "Ships from", render: (s) => s.default_warehouse || "nearest" },
    { key: "active", label: "Status", render: (s) => html`<${Chip} value=${s.active ? "active" : "inactive"} />` },
  ];
  const listingColumns = [
    { key: "shop", label: "Shop" },
    { key: "item_id", label: "Item id" },
    { key: "model_id", label: "Variation" },
    { key: "channel_sku", label: "Channel SKU", render: (l) => l.channel_sku || "" },
    { key: "sku", label: "Our SKU" },
    { key: "active", label: "Status", render: (l) => html`<${Chip} value=${l.active ? "active" : "inactive"} />` },
    { key: "created_at", label: "Added", render: (l) => when(l.created_at) },
  ];
  return html`<${Page} title="Shops & listings" testid="shops"
    actions=${html`<button class="btn" type="button" data-action="new-shop" onClick=${() => setDrawer("shop")}>New shop</button>
      <button class="btn" type="button" data-action="new-listing" onClick=${() => setDrawer("listing")}>New listing</button>`}>
    <div class="with-drawer">
      <div>
        <${DataTable} testid="shop-table" endpoint="/api/v1/shops" columns=${shopColumns} reload=${reload} rowKey=${(s) => s.code}
          filters=${[{ name: "channel", label: "Channel", type: "select", options: CHANNELS }]}
          onOpen=${(s) => setQuery({ shop: s.code, offset: "" }, { replace: false })} />
        <h2>Listings</h2>
        <${DataTable} testid="listing-table" endpoint="/api/v1/listings" columns=${listingColumns} reload=${reload}
          filters=${[
            { name: "shop", label: "Shop", type: "select", options: shops },
            { name: "sku", label: "Our SKU", type: "text" },
            { name: "item_id", label: "Item id", type: "text" },
          ]} />
      </div>
      <${Drawer} title="New shop" open=${drawer === "shop"} onClose=${() => setDrawer("")} testid="new-shop">
        <${Form} label="Add shop" done=${done}
          fields=${[
            { name: "channel", label: "Channel", type: "select", options: CHANNELS, required: true, value: "shopee" },
            { name: "code", label: "Code", required: true, placeholder: "shopee-main" },
            { name: "name", label: "Name", required: true },
            { name: "external_shop_id", label: "Channel shop id" },
            { name: "default_warehouse", label: "Ships from", type: "select", options: warehouses },
          ]}
          submit=${async (v) => {
            const out = await api("/api/v1/shops", {
              method: "POST",
              body: { channel: v.channel, code: v.code.trim(), name: v.name.trim(), external_shop_id: v.external_shop_id || null, default_warehouse: v.default_warehouse || null },
            });
            return `Naidagdag ang ${out.code}.`;
          }} />
      </${Drawer}>
      <${Drawer} title="New listing" open=${drawer === "listing"} onClose=${() => setDrawer("")} testid="new-listing">
        <${Form} label="Add listing" done=${done}
          fields=${[
            { name: "shop", label: "Shop", type: "select", options: shops, required: true },
            { name: "item_id", label: "Channel item id", required: true },
            { name: "model_id", label: "Variation id" },
            { name: "sku", label: "Our SKU", required: true },
          ]}
          submit=${async (v) => {
            await api("/api/v1/listings", { method: "POST", body: { shop: v.shop, item_id: v.item_id.trim(), model_id: v.model_id.trim(), sku: v.sku.trim() } });
            return "Naidagdag.";
          }} />
      </${Drawer}>
    </div>
  </${Page}>`;
}
