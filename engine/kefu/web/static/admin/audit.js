// The audit trail, newest first, page by page (GET /api/audit?limit=&offset=).

import { api } from "../shared/api.js";
import { el } from "../shared/dom.js";
import { dateTime } from "../shared/format.js";
import { section, table } from "./ui.js";

const PAGE = 50;

export function auditPage(container, t, offset = 0) {
  return section(container, t, "GET /api/audit", () => api(`/api/audit?limit=${PAGE}&offset=${offset}`), (data) => {
    const entries = Array.isArray(data) ? data : data.entries || [];
    return [
      table([
        { label: t("time"), cell: (e) => dateTime(e.time || e.created_at, t.lang()) },
        { label: t("actor"), cell: (e) => e.actor },
        { label: t("action"), cell: (e) => el("code", {}, e.action) },
        { label: t("subject"), cell: (e) => e.subject || "—" },
        { label: t("details"), cell: (e) => (e.data && Object.keys(e.data).length ? el("code", { class: "json" }, JSON.stringify(e.data)) : "") },
      ], entries, t("tab_audit")),
      el("div", { class: "pager" },
        el("button", { type: "button", disabled: offset === 0, on: { click: () => auditPage(container, t, Math.max(0, offset - PAGE)) } }, t("newer")),
        el("button", { type: "button", disabled: entries.length < PAGE, on: { click: () => auditPage(container, t, offset + PAGE) } }, t("older"))),
    ];
  });
}
