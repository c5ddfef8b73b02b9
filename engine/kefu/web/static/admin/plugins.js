// Installed plugins by namespace (GET /api/plugins; ?load=true imports each to check it).

import { api } from "../shared/api.js";
import { el } from "../shared/dom.js";
import { section, table } from "./ui.js";

export function pluginsPage(container, t, load = false) {
  return section(container, t, "GET /api/plugins", () => api(`/api/plugins${load ? "?load=true" : ""}`), (data) => [
    data.loaded ? null : el("button", { type: "button", on: { click: () => {
      container.replaceChildren(el("p", { class: "muted", role: "status" }, t("checking")));
      pluginsPage(container, t, true);
    } } }, t("checkPlugins")),
    table([
      { label: t("namespace"), cell: (p) => [el("code", {}, p.namespace), el("br"), el("small", { class: "muted" }, p.kind)] },
      { label: t("plugin"), cell: (p) => el("strong", {}, p.name) },
      { label: t("target"), cell: (p) => el("code", {}, p.target) },
      { label: t("distribution"), cell: (p) => p.distribution },
      { label: t("summary"), cell: (p) => p.load_error ? el("span", { class: "error" }, t("loadFailed", { error: p.load_error })) : p.summary || "—" },
    ], data.plugins, t("tab_plugins")),
  ]);
}
