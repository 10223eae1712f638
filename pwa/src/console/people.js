// Users and devices. An admin adds a user, resets a password (which logs that user out of every
// phone), turns a user off, and revokes a lost phone — first seeing what the server has of it:
// when it last synced, the ops it sent, photos it promised that never arrived, the cash its user
// still holds. The phone's own outbox stays on the phone, which shows its count once revoked.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { api, pesos, when } from "./api.js";
import { Chip, Drawer, Form, Page, Problem, useOptions } from "./kit.js";
import { DataTable } from "./table.js";

const ROLES = [["admin", "admin"], ["supervisor", "supervisor"], ["warehouse", "warehouse"], ["rider", "rider"]];

export function People() {
  const warehouses = useOptions("/api/v1/warehouses?limit=500", (w) => [w.id, `${w.code} — ${w.name}`]);
  const [drawer, setDrawer] = useState(null);
  const [reload, setReload] = useState(0);
  const done = () => setReload(reload + 1);
  const userColumns = [
    { key: "username", label: "Username" },
    { key: "full_name", label: "Name" },
    { key: "role", label: "Role" },
    { key: "warehouse_id", label: "Warehouse", render: (u) => warehouses.find(([id]) => id === u.warehouse_id)?.[1].split(" — ")[0] || "—" },
    { key: "active", label: "Status", render: (u) => html`<${Chip} value=${u.active ? "active" : "disabled"} />` },
  ];
  const deviceColumns = [
    { key: "username", label: "User" },
    { key: "name", label: "Device" },
    { key: "created_at", label: "Logged in", render: (d) => when(d.created_at) },
    { key: "last_seen_at", label: "Last seen", render: (d) => when(d.last_seen_at) || "—" },
    { key: "revoked_at", label: "Status", render: (d) => (d.revoked_at ? html`<${Chip} value="revoked" /> <small>${d.revoked_by}</small>` : html`<${Chip} value="active" />`) },
  ];
  return html`<${Page} title="Users & devices" testid="people" actions=${html`<button class="btn" type="button" data-action="new-user" onClick=${() => setDrawer({ kind: "new" })}>New user</button>`}>
    <div class="with-drawer">
      <div>
        <${DataTable} testid="user-table" endpoint="/api/v1/users" columns=${userColumns} reload=${reload}
          filters=${[
            { name: "role", label: "Role", type: "select", options: ROLES },
            { name: "active", label: "Status", type: "select", options: [["true", "Active"], ["false", "Disabled"]] },
          ]}
          onOpen=${(u) => setDrawer({ kind: "user", user: u })} />
        <h2>Devices</h2>
        <${DataTable} testid="device-table" endpoint="/api/v1/devices" columns=${deviceColumns} reload=${reload}
          filters=${[
            { name: "username", label: "User", type: "text" },
            { name: "revoked", label: "Status", type: "select", options: [["false", "Active"], ["true", "Revoked"]] },
          ]}
          onOpen=${(d) => setDrawer({ kind: "device", device: d })} />
      </div>
      <${Drawer} title="New user" open=${drawer?.kind === "new"} onClose=${() => setDrawer(null)} testid="new-user">
        <${Form} label="Add user" done=${done}
          fields=${[
            { name: "username", label: "Username", required: true, placeholder: "rider.ben" },
            { name: "full_name", label: "Full name" },
            { name: "role", label: "Role", type: "select", options: ROLES, required: true, value: "warehouse" },
            { name: "warehouse_id", label: "Warehouse (staff)", type: "select", options: warehouses },
            { name: "password", label: "First password (8+ characters)", type: "password", required: true },
          ]}
          submit=${async (v) => {
            const out = await api("/api/v1/users", { method: "POST", body: { ...v, warehouse_id: v.warehouse_id || null } });
            return `Naidagdag si ${out.username}.`;
          }} />
      </${Drawer}>
      ${drawer?.kind === "user" && html`<${UserDrawer} key=${drawer.user.id} user=${drawer.user} onClose=${() => setDrawer(null)} done=${done} />`}
      ${drawer?.kind === "device" && html`<${DeviceDrawer} key=${drawer.device.id} device=${drawer.device} onClose=${() => setDrawer(null)} done=${done} />`}
    </div>
  </${Page}>`;
}

function UserDrawer({ user, onClose, done }) {
  const path = `/api/v1/users/${user.id}`;
  return html`<${Drawer} title=${`User ${user.username}`} open onClose=${onClose} testid="user">
    <h3>Reset password</h3>
    <p class="hint">Logs ${user.username} out of every phone; tell them the new one.</p>
    <${Form} label="Reset password" testid="reset-password" done=${done}
      fields=${[{ name: "password", label: "New password (8+ characters)", type: "password", required: true }]}
      submit=${async (v) => {
        await api(path, { method: "PATCH", body: { password: v.password } });
        return "Napalitan ang password.";
      }} />
    <h3>${user.active ? "Disable" : "Enable"}</h3>
    <${Form} label=${user.active ? "Disable user" : "Enable user"} testid="toggle-user" done=${done} fields=${[]}
      submit=${async () => {
        await api(path, { method: "PATCH", body: { active: !user.active } });
        return user.active ? "Naka-disable na." : "Naka-enable na.";
      }} />
  </${Drawer}>`;
}

function DeviceDrawer({ device, onClose, done }) {
  const [state, setState] = useState(null);
  const [error, setError] = useState(null);
  const [revoked, setRevoked] = useState(device.revoked_at);
  if (state === null && !error) api(`/api/v1/devices/${device.id}/sync-state`).then(setState, setError);
  const revoke = async () => {
    setError(null);
    try {
      const out = await api(`/api/v1/devices/${device.id}/revoke`, { method: "POST" });
      setRevoked(out.revoked_at);
      done();
    } catch (exc) {
      setError(exc);
    }
  };
  return html`<${Drawer} title=${`Device: ${device.name || "(walang pangalan)"}`} open onClose=${onClose} testid="device">
    <p>${device.username} · logged in ${when(device.created_at)}</p>
    ${state && html`<dl class="facts" data-testid="sync-state">
      <dt>Last sync</dt><dd>${when(state.last_sync_at) || "never"}</dd>
      <dt>Ops on the server</dt><dd>${state.ops} (up to no. ${state.hwm})${Object.entries(state.ops_by_status).map(([k, n]) => ` · ${n} ${k}`)}</dd>
      <dt>Photos never uploaded</dt><dd data-testid="missing-proofs">${state.missing_proofs.length === 0 ? "none" : state.missing_proofs.map((p) => `${p.kind} for ${p.order_ref.slice(0, 8)}`).join(", ")}</dd>
      <dt>Cash ${state.username} holds</dt><dd data-testid="cash-held">${pesos(state.cash_held)}</dd>
    </dl>
    <p class="hint">Anything done on the phone after its last sync is only on the phone: a revoked phone keeps it and shows how many are waiting, so hand it to a supervisor rather than wiping it.</p>`}
    <${Problem} error=${error} />
    ${revoked
      ? html`<p class="ok" data-testid="revoked">Revoked ${when(revoked)}.</p>`
      : html`<button class="btn btn-danger" type="button" data-action="revoke" onClick=${revoke}>Revoke this device</button>`}
  </${Drawer}>`;
}
