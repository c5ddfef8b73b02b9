// The audit trail as the server keeps it (GET /api/audit?before_id=&limit=&action=): newest
// entries first, a page at a time, optionally one action only. People are shown
// by name (GET /api/agents) and each entry's details as readable "key: value" pairs.

import { api } from "../shared/api.js";
import { el } from "../shared/dom.js";
import { dateTime } from "../shared/format.js";
import { section, table } from "./ui.js";

const PAGE = 50;
// The largest id the server accepts: "before" it is the newest page.
const LATEST = "9223372036854775807";

/**
 * Renders one page of the trail, newest first. `cursors` holds the `before_id` of every page
 * read so far (the last one is shown), so "Newer" can step back; `action` filters on one action.
 */
export function auditPage(container, t, cursors = [LATEST], action = "") {
  const before = cursors[cursors.length - 1];
  const query = new URLSearchParams({ limit: String(PAGE), before_id: String(before) });
  if (action) query.set("action", action);
  const load = async () => {
    const [data, names] = await Promise.all([api(`/api/audit?${query}`), people()]);
    return { entries: Array.isArray(data) ? data : data.entries || [], names };
  };
  return section(container, t, "GET /api/audit", load, ({ entries, names }) => [
    filterForm(t, action, (chosen) => auditPage(container, t, [LATEST], chosen)),
    table([
      { label: t("time"), cell: (e) => dateTime(e.time || e.created_at, t.lang()) },
      { label: t("actor"), cell: (e) => who(e.actor, names) },
      { label: t("action"), cell: (e) => el("code", {}, e.action) },
      { label: t("subject"), cell: (e) => who(e.subject, names) },
      { label: t("details"), cell: (e) => details(e.data) },
    ], entries, t("tab_audit")),
    el("div", { class: "pager" },
      el("button", { type: "button", disabled: cursors.length === 1, on: { click: () => auditPage(container, t, cursors.slice(0, -1), action) } }, t("newer")),
      el("button", { type: "button", disabled: entries.length < PAGE, on: { click: () => auditPage(container, t, [...cursors, entries[entries.length - 1].id], action) } }, t("older"))),
  ]);
}

function filterForm(t, action, apply) {
  const input = el("input", { id: "audit-action", name: "action", type: "search", maxlength: 128, autocomplete: "off", placeholder: "unmask.request" });
  input.value = action;
  return el("form", { class: "audit-filter", on: { submit: (event) => {
    event.preventDefault();
    apply(input.value.trim());
  } } }, el("label", { for: "audit-action" }, t("action")), " ", input);
}

/** Agent id -> "Display name (username)"; empty when the agents list cannot be read. */
async function people() {
  try {
    const agents = await api("/api/agents");
    return new Map(agents.map((a) => [a.id, `${a.display_name} (${a.username})`]));
  } catch {
    return new Map();
  }
}

/** An "agent:<id>" actor or subject by name (the raw form in its tooltip); others as they are. */
function who(raw, names) {
  const id = typeof raw === "string" && raw.startsWith("agent:") ? raw.slice("agent:".length) : null;
  const name = id ? names.get(id) : null;
  return name ? el("span", { title: raw }, name) : raw || "—";
}

function details(data) {
  if (!data || !Object.keys(data).length) return "";
  const pairs = Object.entries(data).map(([key, value]) => el("span", {}, el("span", { class: "muted" }, `${key}: `), readable(value)));
  return el("span", { class: "audit-details" }, pairs.flatMap((pair, i) => (i ? [" · ", pair] : [pair])));
}

function readable(value) {
  if (Array.isArray(value) && value.every((v) => typeof v !== "object" || v === null)) return value.join(", ");
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return String(value);
}
