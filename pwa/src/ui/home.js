// Each role's home: the screens it may open. Warehouse screens exist now; the rider's and the
// supervisor's arrive with their issues and only need an entry here (and a component) to appear.
import { html } from "../html.js";
import { link } from "../router.js";
import { logout, session } from "../session.js";
import { status, stopSync } from "../engine.js";
import { Count } from "../flows/count.js";
import { Receiving } from "../flows/receiving.js";
import { openExceptions, version } from "../reference.js";
import { Icon } from "./icons.js";
import { lazyScreen } from "./lazy.js";
import { Problems } from "./problems.js";

const Pick = lazyScreen(() => import("../flows/pick.js").then((m) => m.Pick));
const Pack = lazyScreen(() => import("../flows/pack.js").then((m) => m.Pack));
const Handover = lazyScreen(() => import("../flows/handover.js").then((m) => m.Handover));

// Put-away, look-up and returns load on first use (their own chunks, precached: they open offline).
const PutAway = lazyScreen(() => import("../flows/putaway.js").then((m) => m.PutAway));
const Lookup = lazyScreen(() => import("../flows/lookup.js").then((m) => m.Lookup));
const Returns = lazyScreen(() => import("../flows/returns.js").then((m) => m.Returns));
const PutBack = lazyScreen(() => import("../flows/putback.js").then((m) => m.PutBack));
const WAREHOUSE = [
  { path: "/receive", title: "Receiving", sub: "Pagtanggap ng dumating na stock", icon: "box", component: Receiving },
  { path: "/count", title: "Cycle count", sub: "Bilangin ang laman ng bin", icon: "count", component: Count },
  { path: "/pick", title: "Picking", sub: "Kunin ang mga order sa shelf", icon: "pick", component: Pick },
  { path: "/pack", title: "Packing", sub: "I-check at i-pack ang order", icon: "box", component: Pack },
  { path: "/handover", title: "Handover", sub: "Ibigay ang parcel sa courier o rider", icon: "truck", component: Handover },
  { path: "/putaway", title: "Put-away at lipat", sub: "Ilipat mula sa isang bin papunta sa iba", icon: "move", component: PutAway },
  { path: "/putback", title: "Ibalik sa shelf", sub: "Mula staging: na-cancel na order o natira sa wave", icon: "back", component: PutBack },
  { path: "/lookup", title: "Hanapin ang stock", sub: "I-scan ang bin o item: nasaan, ilan", icon: "search", component: Lookup },
  { path: "/returns", title: "Returns", sub: "Tanggapin ang ibinalik na parcel", icon: "back", component: Returns },
];
const Rider = lazyScreen(() => import("../flows/rider.js").then((m) => m.Rider));
const RIDER = [
  { path: "/runs", title: "Run list", sub: "Mga delivery ngayong araw", icon: "scooter", component: Rider },
  { path: "/remit", title: "Remit ng cash", sub: "End-of-day na COD", icon: "cash", component: Rider },
];
// The supervisor's inbox loads on first use too; its tile counts what is open (from the replica).
const Exceptions = lazyScreen(() => import("../flows/exceptions.js").then((m) => m.Exceptions));
const SUPERVISOR = [
  { path: "/exceptions", title: "Exceptions", sub: "Mga dapat ayusin", icon: "alert", component: Exceptions, counts: true },
];

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
              ${screen.counts && html`<${InboxCount} />`}
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

/** The open exceptions on this phone, on the Exceptions tile (the most serious in red). */
function InboxCount() {
  version.value;
  const all = openExceptions();
  const critical = all.filter((x) => x.severity === "critical").length;
  return html`<span class="tile-count" data-testid="inbox-count" data-total=${all.length} data-critical=${critical}>
    <b>${all.length}</b>${critical > 0 && html`<small class="tile-critical">${critical} kritikal</small>`}
  </span>`;
}

const roleLabel = (role) =>
  ({ warehouse: "Warehouse staff", rider: "Rider", supervisor: "Supervisor", admin: "Admin" })[role] ?? role;
