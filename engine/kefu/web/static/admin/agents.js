// Agents and their roles (GET /api/agents; roles once the security module provides them).

import { api, currentSession } from "../shared/api.js";
import { el } from "../shared/dom.js";
import { section, table } from "./ui.js";

export function agentsPage(container, t) {
  const me = currentSession();
  return section(container, t, "GET /api/agents", () => api("/api/agents"), (agents) => [
    me ? el("p", { class: "muted" }, t("signedInAs", { name: me.agent.display_name, role: me.role || "—" })) : null,
    table([
      { label: t("displayName"), cell: (a) => a.display_name },
      { label: t("username_col"), cell: (a) => a.username },
      { label: t("role"), cell: (a) => a.role || (a.roles || []).join(", ") || (me && a.id === me.agent.id ? me.role : "—") },
      { label: t("capacity"), cell: (a) => String(a.capacity) },
      { label: t("status"), cell: (a) => el("span", { class: `badge ${a.online ? "ok" : ""}` }, t(a.online ? "online" : "offline")) },
    ], agents, t("tab_agents")),
    agents.some((a) => a.role || a.roles) ? null : el("p", { class: "unavailable" }, t("rolesUnavailable")),
  ]);
}
