// Knowledge packs: installed versions with their evaluation figures, what is served, reload,
// rollback (GET /api/packs, POST /api/packs/{name}/reload|rollback) and install.

import { api } from "../shared/api.js";
import { ask } from "../shared/dialog.js";
import { el } from "../shared/dom.js";
import { dateTime, percent } from "../shared/format.js";
import { section, table } from "./ui.js";

function figures(t, ev) {
  if (!ev) return "—";
  const parts = [];
  if (ev.intent_accuracy != null) parts.push(`${t("intentAccuracy")} ${percent(ev.intent_accuracy)}`);
  if (ev.recall_at_1 != null) parts.push(`${t("recall1")} ${percent(ev.recall_at_1)}`);
  if (ev.recall_at_5 != null) parts.push(`${t("recall5")} ${percent(ev.recall_at_5)}`);
  if (ev.mrr != null) parts.push(`${t("mrr")} ${Number(ev.mrr).toFixed(3)}`);
  return parts.length ? el("ul", { class: "figures" }, parts.map((p) => el("li", {}, p))) : "—";
}

export function packsPage(container, t) {
  const reload = () => packsPage(container, t);
  const note = (text, cls = "muted") => container.prepend(el("p", { class: cls, role: "status" }, text));
  const post = async (path, body, confirmText) => {
    if (confirmText && !(await ask({ title: t("confirm"), message: confirmText, confirm: t("confirm"), cancel: t("cancel") }))) return;
    try {
      await api(path, { method: "POST", body });
      await reload();
      note(t("done"));
    } catch (exc) {
      note(`${t("error")}: ${exc.message}`, "error");
    }
  };
  return section(container, t, "GET /api/packs", () => api("/api/packs"), (data) => {
    const serving = data.serving;
    const source = el("input", { id: "pack-source", name: "source", required: true });
    const install = el("form", { class: "inline-form", on: { submit: async (event) => {
      event.preventDefault();
      try {
        await api("/api/packs", { method: "POST", body: { source: source.value.trim() } });
        await reload();
        note(t("done"));
      } catch (exc) {
        note(exc.unavailable ? t("installUnavailable") : `${t("error")}: ${exc.message}`, exc.unavailable ? "unavailable" : "error");
      }
    } } }, el("h2", {}, t("install")), el("label", { for: "pack-source" }, t("installSource")), source, el("button", { type: "submit" }, t("installButton")));
    return [
      el("p", { class: "card" }, serving ? `${t("serving")}: ${serving.pack} ${serving.version}${serving.error ? ` — ${serving.error}` : ""}` : t("notServing")),
      data.packs.length ? table([
        { label: t("pack"), cell: (p) => p.name },
        { label: t("version"), cell: (p) => [p.version, " ", p.active ? el("span", { class: "badge ok" }, t("active")) : null] },
        { label: t("vertical"), cell: (p) => p.vertical || "—" },
        { label: t("installed"), cell: (p) => dateTime(p.installed_at, t.lang()) },
        { label: t("evaluation"), cell: (p) => figures(t, p.eval) },
        { label: "", cell: (p) => p.active ? el("span", { class: "row-actions" },
          el("button", { type: "button", class: "small", on: { click: () => post(`/api/packs/${encodeURIComponent(p.name)}/reload`, undefined, t("reloadConfirm", { name: p.name })) } }, t("reload")),
          el("button", { type: "button", class: "small", on: { click: () => post(`/api/packs/${encodeURIComponent(p.name)}/rollback`, undefined, t("rollbackConfirm", { name: p.name })) } }, t("rollback"))) : "" },
      ], data.packs, t("tab_packs")) : el("p", { class: "muted" }, t("none")),
      install,
    ];
  });
}
