// Agents and their roles (GET /api/agents); admins change a role with PUT /api/agents/{id}/role
// after a confirmation. The role travels inside access tokens: the server refuses the agent's
// tokens carrying the old role, and its next token refresh carries the new one.

import { api, currentSession } from "../shared/api.js";
import { ask } from "../shared/dialog.js";
import { el } from "../shared/dom.js";
import { section, table } from "./ui.js";

const ROLES = ["agent", "supervisor", "admin"];

function roleName(t, role) {
  return ROLES.includes(role) ? t(`role_${role}`) : role || "—";
}

export function agentsPage(container, t) {
  const me = currentSession();
  const isAdmin = me && me.role === "admin";
  const reload = () => agentsPage(container, t);
  const note = (text, cls = "muted") => container.prepend(el("p", { class: cls, role: cls === "error" ? "alert" : "status" }, text));

  const changeRole = async (agent, select) => {
    const to = select.value;
    const confirmed = await ask({
      title: t("changeRole"),
      message: t("changeRoleConfirm", { name: agent.display_name, from: roleName(t, agent.role), to: roleName(t, to) }),
      confirm: t("changeRole"),
      cancel: t("cancel"),
    });
    if (!confirmed) {
      select.value = agent.role;
      return;
    }
    try {
      await api(`/api/agents/${encodeURIComponent(agent.id)}/role`, { method: "PUT", body: { role: to } });
      await reload();
      note(t("roleChanged", { name: agent.display_name, role: roleName(t, to) }));
    } catch (exc) {
      select.value = agent.role;
      note(`${t("error")}: ${exc.message}`, "error");
    }
  };

  // Servers without roles in their agent list: show the signed-in person's own role at least.
  const fallbackRole = (a) => (a.roles || []).join(", ") || (me && a.id === me.agent.id ? me.role : "—");

  const roleCell = (agent) => {
    if (!agent.role) return fallbackRole(agent);
    if (!isAdmin) return roleName(t, agent.role);
    const select = el("select", { "aria-label": t("roleOf", { name: agent.display_name }) },
      ROLES.map((role) => el("option", { value: role, selected: role === agent.role }, roleName(t, role))));
    select.value = agent.role;
    select.addEventListener("change", () => changeRole(agent, select));
    return select;
  };

  return section(container, t, "GET /api/agents", () => api("/api/agents"), (agents) => [
    me ? el("p", { class: "muted" }, t("signedInAs", { name: me.agent.display_name, role: me.role || "—" })) : null,
    table([
      { label: t("displayName"), cell: (a) => a.display_name },
      { label: t("username_col"), cell: (a) => a.username },
      { label: t("role"), cell: roleCell },
      { label: t("capacity"), cell: (a) => String(a.capacity) },
      { label: t("status"), cell: (a) => el("span", { class: `badge ${a.online ? "ok" : ""}` }, t(a.online ? "online" : "offline")) },
    ], agents, t("tab_agents")),
    agents.some((a) => a.role || a.roles) ? null : el("p", { class: "unavailable" }, t("rolesUnavailable")),
    isAdmin ? el("p", { class: "muted" }, t("roleTokensNote")) : null,
  ].filter(Boolean));
}
