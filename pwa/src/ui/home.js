// Each role's home: the screens it may open. Warehouse screens exist now; the rider's and the
// supervisor's arrive with their issues and only need an entry here (and a component) to appear.
import { html } from "../html.js";
import { link } from "../router.js";
import { logout, session } from "../session.js";
import { status, stopSync } from "../engine.js";
import { Count } from "../flows/count.js";
import { Receiving } from "../flows/receiving.js";
import { Icon } from "./icons.js";
import { Problems } from "./problems.js";

const SOON = null; // a screen whose issue is still open: shown, but not yet usable

const WAREHOUSE = [
  { path: "/receive", title: "Receiving", sub: "Pagtanggap ng dumating na stock", icon: "box", component: Receiving },
  { path: "/count", title: "Cycle count", sub: "Bilangin ang laman ng bin", icon: "count", component: Count },
];
const RIDER = [
  { path: "/runs", title: "Run list", sub: "Mga delivery ngayong araw", icon: "scooter", component: SOON },
  { path: "/remit", title: "Remit ng cash", sub: "End-of-day na COD", icon: "cash", component: SOON },
];
const SUPERVISOR = [{ path: "/exceptions", title: "Exceptions", sub: "Mga dapat ayusin", icon: "alert", component: SOON }];

export const SCREENS = {
  warehouse: WAREHOUSE,
  supervisor: [...SUPERVISOR, ...WAREHOUSE],
  admin: WAREHOUSE,
  rider: RIDER,
};
const COMMON = [{ path: "/problems", component: Problems }];

/** The component for a path, if this role may open it. Sub-paths (/count/bin/A-01) belong to their screen. */
export function screenFor(role, path) {
  const screens = [...(SCREENS[role] ?? []), ...COMMON];
  return screens.find((s) => s.component && (path === s.path || path.startsWith(s.path + "/"))) ?? null;
}

export function Home() {
  const s = session.value;
  const screens = SCREENS[s.user.role] ?? [];
  return html`<main class="screen home" data-testid="home" data-role=${s.user.role}>
    <header class="home-head">
      <div>
        <h1>Kumusta, ${s.user.full_name || s.user.username}!</h1>
        <p class="hint">${roleLabel(s.user.role)}${s.wh ? ` · ${s.wh}` : ""}</p>
      </div>
    </header>
    <nav class="tiles">
      ${screens.map((screen) =>
        screen.component
          ? html`<a class="tile" data-testid=${`tile-${screen.path.slice(1)}`} ...${link(screen.path)}>
              <span class="tile-icon"><${Icon} name=${screen.icon} /></span>
              <span><b>${screen.title}</b><small>${screen.sub}</small></span>
            </a>`
          : html`<div class="tile tile-soon" aria-disabled="true">
              <span class="tile-icon"><${Icon} name=${screen.icon} /></span>
              <span><b>${screen.title}</b><small>Paparating pa · ${screen.sub}</small></span>
            </div>`,
      )}
      <a class="tile tile-small" ...${link("/problems")}><span><b>Mga problema sa sync</b></span></a>
    </nav>
    <footer class="foot">
      <button class="btn btn-link" onClick=${async () => {
        const waiting = status.value.pending;
        const sure = waiting === 0 || confirm(`May ${waiting} pang hindi na-sync. Maiiwan ito sa phone at masi-sync pag nag-login ulit ka. Mag-logout?`);
        if (!sure) return;
        stopSync();
        await logout();
      }}>Mag-logout</button>
      <small>Bodega app ${__BUILD_LABEL__}</small>
    </footer>
  </main>`;
}

const roleLabel = (role) =>
  ({ warehouse: "Warehouse staff", rider: "Rider", supervisor: "Supervisor", admin: "Admin" })[role] ?? role;
