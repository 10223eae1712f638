// The console's table: rows from a list endpoint ({items,total,limit,offset}) with its filters,
// sort and page kept in the URL, the server doing the filtering, sorting and paging. Keyboard:
// "/" focuses the search, ↑/↓ (or j/k) choose a row, Enter opens it, PageUp/PageDown (or p/n)
// turn pages. Endpoints that answer a plain list (a rider's runs) are paged here instead.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { api, qs } from "./api.js";
import { route, setQuery } from "./router.js";
import { Problem } from "./kit.js";

const LIMIT = 25;

/**
 * columns: [{key, label, render?(row), sort?: "server sort name", num?: true}]
 * filters: [{name, label, type: "search"|"text"|"select"|"date", options?: [[value, label]], placeholder?}]
 * params: fixed query parameters; reload: bump to fetch again; onOpen(row): Enter / click.
 */
export function DataTable({ testid, endpoint, columns, filters = [], params = {}, onOpen, reload = 0, rowKey = (r) => r.id, empty = "Walang nakita.", toolbar, defaultSort = "" }) {
  const query = route.value.query;
  const values = Object.fromEntries(filters.map((f) => [f.name, query.get(f.name) || ""]));
  const sort = query.get("sort") || defaultSort;
  const offset = Number(query.get("offset") || 0);
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(0);
  const [drafts, setDrafts] = useState(values);
  const body = useRef(null);
  const search = useRef(null);
  const key = JSON.stringify([endpoint, values, sort, offset, params, reload]);

  useEffect(() => setDrafts(values), [JSON.stringify(values)]);

  useEffect(() => {
    let live = true;
    setError(null);
    // A filter may say how its typed value goes on the wire (a date as the start of a Manila day).
    const sent = Object.fromEntries(filters.map((f) => [f.name, values[f.name] && f.param ? f.param(values[f.name]) : values[f.name]]));
    const paged = { ...params, ...sent, sort: sort || undefined, limit: LIMIT, offset };
    api(endpoint + qs(paged))
      .then((out) => {
        if (!live) return;
        // A plain list (no paging on the server): page it here so the table behaves the same.
        const page = Array.isArray(out) ? { items: out.slice(offset, offset + LIMIT), total: out.length, limit: LIMIT, offset } : out;
        setData(page);
        setSelected(0);
      })
      .catch((exc) => live && setError(exc));
    return () => {
      live = false;
    };
  }, [key]);

  useEffect(() => {
    const slash = (e) => {
      if (e.key !== "/" || /INPUT|TEXTAREA|SELECT/.test(document.activeElement?.tagName)) return;
      e.preventDefault();
      search.current?.focus();
    };
    addEventListener("keydown", slash);
    return () => removeEventListener("keydown", slash);
  }, []);

  const items = data?.items || [];
  const total = data?.total || 0;
  // The range tells what is on screen: the page that arrived, not the one just asked for.
  const shownFrom = data?.offset ?? offset;
  const page = (to) => setQuery({ offset: Math.max(0, to) || "" }, { replace: false });
  const apply = (e) => {
    e?.preventDefault();
    setQuery({ ...drafts, offset: "" }, { replace: false });
  };
  const sortBy = (name) => setQuery({ sort: sort === `-${name}` ? name : `-${name}`, offset: "" }, { replace: false });

  const onKey = (e) => {
    if (e.target !== body.current) return;
    const down = e.key === "ArrowDown" || e.key === "j";
    const up = e.key === "ArrowUp" || e.key === "k";
    if (down || up) {
      e.preventDefault();
      setSelected((s) => Math.min(items.length - 1, Math.max(0, s + (down ? 1 : -1))));
    } else if (e.key === "Enter" && onOpen && items[selected]) {
      onOpen(items[selected]);
    } else if ((e.key === "PageDown" || e.key === "n") && offset + LIMIT < total) {
      e.preventDefault();
      page(offset + LIMIT);
    } else if ((e.key === "PageUp" || e.key === "p") && offset > 0) {
      e.preventDefault();
      page(offset - LIMIT);
    }
  };
  useEffect(() => {
    body.current?.querySelector(`tr[data-row="${selected}"]`)?.scrollIntoView({ block: "nearest" });
  }, [selected]);

  return html`<section class="table-wrap" data-testid=${testid}>
    ${filters.length > 0 &&
    html`<form class="filters" onSubmit=${apply}>
      ${filters.map(
        (f, i) => html`<label class="filter">
          <span>${f.label}</span>
          ${f.type === "select"
            ? html`<select name=${f.name} value=${drafts[f.name]} onChange=${(e) => setQuery({ [f.name]: e.currentTarget.value, offset: "" }, { replace: false })}>
                <option value="">Lahat</option>
                ${f.options.map(([v, l]) => html`<option value=${v}>${l}</option>`)}
              </select>`
            : html`<input
                name=${f.name}
                type=${f.type === "date" ? "date" : "search"}
                placeholder=${f.placeholder || ""}
                ref=${i === 0 || f.type === "search" ? search : undefined}
                value=${drafts[f.name]}
                onInput=${(e) => setDrafts({ ...drafts, [f.name]: e.currentTarget.value })}
              />`}
        </label>`,
      )}
      <button class="btn" type="submit">Hanapin</button>
      ${toolbar}
    </form>`}
    ${error && html`<${Problem} error=${error} />`}
    <div class="grid-scroll" data-testid="grid-scroll">
    <table class="grid">
      <thead>
        <tr>
          ${columns.map((c) => {
            if (!c.sort) return html`<th class=${c.num ? "num" : ""}>${c.label}</th>`;
            const state = sort === c.sort ? "ascending" : sort === `-${c.sort}` ? "descending" : "none";
            return html`<th class=${c.num ? "num" : ""} aria-sort=${state}>
              <button type="button" class="sort" data-sort=${c.sort} onClick=${() => sortBy(c.sort)}>${c.label} ${state === "ascending" ? "▲" : state === "descending" ? "▼" : "↕"}</button>
            </th>`;
          })}
        </tr>
      </thead>
      <tbody ref=${body} tabindex="0" onKeyDown=${onKey} aria-label="Mga row: ↑/↓ pumili, Enter buksan">
        ${data === null && !error && html`<tr><td colspan=${columns.length} class="muted">Kinukuha…</td></tr>`}
        ${data !== null && items.length === 0 && html`<tr><td colspan=${columns.length} class="muted" data-testid="empty">${empty}</td></tr>`}
        ${items.map(
          (row, i) => html`<tr
            key=${rowKey(row)}
            data-row=${i}
            class=${i === selected ? "selected" : ""}
            aria-selected=${i === selected}
            onClick=${() => {
              setSelected(i);
              onOpen?.(row);
            }}
          >
            ${columns.map((c) => html`<td class=${c.num ? "num" : ""}>${c.render ? c.render(row) : row[c.key]}</td>`)}
          </tr>`,
        )}
      </tbody>
    </table>
    </div>
    <nav class="pager" aria-label="Pahina">
      <span data-testid="range">${total ? `${shownFrom + 1}–${Math.min(shownFrom + LIMIT, total)} ng ${total.toLocaleString("en-PH")}` : "0"}</span>
      <button class="btn" type="button" disabled=${offset === 0} onClick=${() => page(offset - LIMIT)}>‹ Nakaraan</button>
      <button class="btn" type="button" data-testid="next-page" disabled=${offset + LIMIT >= total} onClick=${() => page(offset + LIMIT)}>Susunod ›</button>
    </nav>
  </section>`;
}
