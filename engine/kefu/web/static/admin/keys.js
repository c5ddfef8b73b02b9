// API keys of business systems: list, create, rotate, revoke (/api/admin/keys, admins only).

import { api } from "../shared/api.js";
import { ask } from "../shared/dialog.js";
import { el } from "../shared/dom.js";
import { dateTime } from "../shared/format.js";
import { section, table } from "./ui.js";

const BASE = "/api/admin/keys";
const SCOPES = "events:write context:read actions:execute";

function showKey(container, t, key) {
  container.prepend(el("p", { class: "notice-warn", role: "alert" }, t("secretOnce"), " ", el("code", { class: "secret" }, key)));
}

function status(t, k) {
  if (k.revoked_at) return el("span", { class: "badge bad" }, t("revoked"));
  if (k.replaced_by) return el("span", { class: "badge warn" }, t("replacedBy", { id: k.replaced_by }));
  return el("span", { class: "badge ok" }, t("active"));
}

export function keysPage(container, t) {
  const reload = () => keysPage(container, t);
  const act = async (path, body) => {
    try {
      const answer = await api(path, { method: "POST", body });
      await reload();
      if (answer && answer.key) showKey(container, t, answer.key);
    } catch (exc) {
      container.prepend(el("p", { class: "error", role: "alert" }, `${t("error")}: ${exc.message}`));
    }
  };
  const create = async () => {
    const v = await ask({ title: t("createKey"), confirm: t("createKey"), cancel: t("cancel"), fields: [
      { name: "name", label: t("keyName"), required: true, maxlength: 128 },
      { name: "scopes", label: t("scopes"), value: SCOPES },
    ] });
    if (v) await act(`${BASE}/`, { name: v.name, scopes: v.scopes.split(/[\s,]+/).filter(Boolean) });
  };
  const confirmThen = async (options, path) => {
    if (await ask({ cancel: t("cancel"), ...options })) await act(path);
  };
  return section(container, t, `GET ${BASE}`, () => api(`${BASE}/`), (keys) => [
    el("button", { type: "button", class: "primary", on: { click: create } }, t("createKey")),
    keys.length ? table([
      { label: t("keyName"), cell: (k) => k.name },
      { label: t("scopes"), cell: (k) => (k.scopes || []).join(" ") },
      { label: t("created"), cell: (k) => dateTime(k.created_at, t.lang()) },
      { label: t("expires"), cell: (k) => dateTime(k.expires_at, t.lang()) },
      { label: t("status"), cell: (k) => status(t, k) },
      { label: "", cell: (k) => (k.revoked_at ? "" : el("span", { class: "row-actions" },
        el("button", { type: "button", class: "small", "aria-label": `${t("rotate")} ${k.name}`, on: { click: () => confirmThen(
          { title: t("rotate"), message: t("rotateConfirm", { name: k.name }), confirm: t("rotate") }, `${BASE}/${encodeURIComponent(k.id)}/rotate`) } }, t("rotate")),
        el("button", { type: "button", class: "small danger", "aria-label": `${t("revoke")} ${k.name}`, on: { click: () => confirmThen(
          { title: t("revoke"), message: t("revokeConfirm", { name: k.name }), confirm: t("revoke"), danger: true }, `${BASE}/${encodeURIComponent(k.id)}/revoke`) } }, t("revoke")))) },
    ], keys, t("tab_keys")) : el("p", { class: "muted" }, t("none")),
  ]);
}
