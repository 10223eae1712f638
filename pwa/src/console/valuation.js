// Inventory valuation: on hand per SKU and warehouse at cost where Bodega knows it (the landed cost
// per unit of the SKU's latest inbound shipment), else at its latest selling price. Each line says
// which basis it used, so a retail value is never read as a cost. The same lines as CSV.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { download, pesos, qs } from "./api.js";
import { route } from "./router.js";
import { Chip, Page, Problem, warehouseOptions } from "./kit.js";
import { DataTable } from "./table.js";

const BASIS = { landed_cost: "landed cost", selling_price: "selling price", none: "no cost or price" };

export function Valuation() {
  const warehouses = warehouseOptions();
  const [error, setError] = useState(null);
  const columns = [
    { key: "warehouse", label: "WH" },
    { key: "sku", label: "SKU" },
    { key: "name", label: "Name" },
    { key: "on_hand", label: "On hand", num: true },
    { key: "unit_value", label: "Unit value", num: true, render: (v) => pesos(v.unit_value) },
    { key: "basis", label: "Basis", render: (v) => html`<span data-basis=${v.basis}><${Chip} value=${BASIS[v.basis]} tone=${`basis-${v.basis}`} /></span>` },
    { key: "value", label: "Value", num: true, render: (v) => pesos(v.value) },
  ];
  const csv = async () => {
    const warehouse = route.value.query.get("warehouse") || "";
    try {
      const url = await download(`/api/v1/reports/inventory-valuation.csv${qs({ warehouse })}`);
      Object.assign(document.createElement("a"), { href: url, download: `inventory-valuation${warehouse ? `-${warehouse}` : ""}.csv` }).click();
    } catch (exc) {
      setError(exc);
    }
  };
  return html`<${Page} title="Inventory valuation" testid="valuation"
    actions=${html`<button class="btn" type="button" data-action="csv" onClick=${csv}>Download CSV</button>`}>
    <p class="hint">At landed cost (goods, duties, brokerage, freight) from the latest inbound shipment; a SKU never received from one is at its latest selling price, marked so.</p>
    ${error && html`<${Problem} error=${error} />`}
    <${DataTable}
      testid="valuation-table"
      endpoint="/api/v1/reports/inventory-valuation"
      columns=${columns}
      filters=${[{ name: "warehouse", label: "Warehouse", type: "select", options: warehouses }]}
      rowKey=${(v) => `${v.sku}@${v.warehouse}`}
    />
  </${Page}>`;
}
