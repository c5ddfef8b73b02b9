// The middle column: the selected conversation's history, live hints, suggested replies,
// the composer, and transfer / close.

import { api } from "../shared/api.js";
import { ask } from "../shared/dialog.js";
import { el, replace } from "../shared/dom.js";
import { clock, percent } from "../shared/format.js";

function sourceList(sources) {
  return el("ul", { class: "sources" }, sources.map((s) => el("li", {}, typeof s === "string" ? s : s.title || s.source || s.id || "")));
}

export class ConversationPane {
  constructor(root, session, t, toast) {
    this.root = root;
    this.session = session;
    this.t = t;
    this.toast = toast;
    this.title = el("h2", { id: "conv-title" });
    this.status = el("span", { class: "badge" });
    this.transferButton = el("button", { type: "button", on: { click: () => this.transfer() } });
    this.closeButton = el("button", { type: "button", class: "danger", on: { click: () => this.close() } });
    this.hints = el("div", { class: "hints", role: "status", "aria-live": "polite" });
    this.list = el("ol", { class: "history", role: "log", "aria-live": "polite", "aria-labelledby": "conv-title" });
    this.typingLine = el("p", { class: "typing muted", "aria-live": "polite" });
    this.suggestions = el("div", { class: "suggestions" });
    this.input = el("textarea", { id: "reply", rows: 3, maxlength: 4000 });
    this.inputLabel = el("label", { for: "reply", class: "visually-hidden" });
    this.sendButton = el("button", { type: "submit", class: "primary" });
    this.form = el("form", { class: "composer" }, this.inputLabel, this.input, this.sendButton);
    this.empty = el("p", { class: "muted empty" });
    this.body = el("div", { class: "conv-body" },
      el("header", { class: "conv-header" }, el("div", {}, this.title, this.status), el("div", { class: "conv-actions" }, this.transferButton, this.closeButton)),
      this.hints, this.list, this.typingLine, this.suggestions, this.form);
    replace(root, this.empty, this.body);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.input.value.trim();
      if (!text || !this.session.active) return;
      this.session.send(this.session.active, text);
      this.input.value = "";
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.input.addEventListener("input", () => this.session.active && this.session.typing(this.session.active, true));
  }

  current() {
    return this.session.active ? this.session.conversations.get(this.session.active) : null;
  }

  render() {
    const t = this.t;
    const c = this.current();
    this.empty.textContent = t("pick");
    this.empty.hidden = Boolean(c);
    this.body.hidden = !c;
    this.transferButton.textContent = t("transfer");
    this.closeButton.textContent = t("close");
    this.inputLabel.textContent = t("messageLabel");
    this.input.placeholder = t("placeholder");
    this.sendButton.textContent = t("send");
    if (!c) return;
    this.title.textContent = `${t("visitor")} ${c.visitor_id.slice(0, 8)}`;
    this.status.textContent = t(`status_${c.status}`) || c.status;
    const open = c.status === "assigned";
    this.form.hidden = !open;
    this.transferButton.disabled = !open;
    this.closeButton.disabled = !open;
    this.renderHistory(c);
    this.renderHints(c);
    this.renderSuggestions(c);
    this.typingLine.textContent = c.typing ? t("typing") : "";
  }

  renderHistory(c) {
    const t = this.t;
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    const items = [...c.messages.values()].sort((a, b) => a.seq - b.seq).map((m) => {
      const who = m.sender === "visitor" ? t("visitor") : m.sender === "bot" ? t("bot") : m.sender_id === this.session.agentId ? t("you") : t("agentLabel");
      const flags = [];
      if (m.blocked) flags.push(el("span", { class: "badge bad" }, t("blocked")));
      else if (m.filter_action === "mask") flags.push(el("span", { class: "badge warn" }, t("masked")));
      return el("li", { class: `msg msg-${m.sender}`, dataset: { seq: String(m.seq) } },
        el("p", { class: "text" }, m.text),
        m.sources && m.sources.length ? sourceList(m.sources) : null,
        el("div", { class: "meta" }, `${who} · ${clock(m.time, t.lang())} · #${m.seq} `, flags));
    });
    for (const [id, text] of c.pending) {
      items.push(el("li", { class: "msg msg-agent pending", dataset: { id } }, el("p", { class: "text" }, text), el("div", { class: "meta" }, t("sending"))));
    }
    if (c.failed) items.push(el("li", { class: "notice error", role: "alert" }, t("failed", { reason: c.failed.message })));
    if (c.status === "closed") items.push(el("li", { class: "notice" }, t("closedNotice")));
    if (c.status === "transferred") items.push(el("li", { class: "notice" }, t("transferred", { name: c.transferredTo || "" })));
    replace(this.list, items);
    if (atBottom || c.pending.size) this.list.scrollTop = this.list.scrollHeight;
  }

  renderHints(c) {
    const t = this.t;
    if (!c.hints.length) return replace(this.hints);
    return replace(this.hints, el("h3", { class: "visually-hidden" }, t("hints")), c.hints.slice(-3).map((h) =>
      this.hint(h)));
  }

  hint(h) {
    const key = `hint_${h.kind}`;
    const label = this.t(key) === key ? h.kind : this.t(key);
    const text = h.text || "";
    // Hint texts often start with their own label ("Parcel delayed: ..."): say it once.
    const labelled = text.toLowerCase().startsWith(String(label).toLowerCase());
    return el("p", { class: "hint notice-warn" }, labelled ? null : [el("strong", {}, label), " "], text);
  }

  renderSuggestions(c) {
    const t = this.t;
    if (!c.suggestions.length || c.status !== "assigned") return replace(this.suggestions);
    return replace(this.suggestions, el("h3", {}, t("suggestions")), el("ul", { class: "suggestion-list" }, c.suggestions.map((s) => el("li", { class: "suggestion" },
      el("button", { type: "button", class: "use", "aria-label": `${t("useSuggestion")}: ${s.text}`, on: { click: () => this.use(s.text) } }, s.text),
      el("div", { class: "meta" },
        typeof s.confidence === "number" ? el("span", {}, t("confidence", { p: percent(s.confidence) })) : null,
        s.sources && s.sources.length ? el("span", { class: "suggestion-sources" }, `${t("sources")}: ${s.sources.map((x) => (typeof x === "string" ? x : x.title || x.source || "")).join(", ")}`) : null)))));
  }

  use(text) {
    this.input.value = text;
    this.input.focus();
    this.input.setSelectionRange(text.length, text.length);
  }

  async transfer() {
    const t = this.t;
    const c = this.current();
    if (!c) return;
    let agents = [];
    try {
      agents = (await api("/api/agents")).filter((a) => a.online && a.id !== this.session.agentId);
    } catch (exc) {
      this.toast(`${t("error")}: ${exc.message}`);
      return;
    }
    if (!agents.length) {
      this.toast(t("noAgents"));
      return;
    }
    const answer = await ask({
      title: t("transfer"), confirm: t("transfer"), cancel: t("cancel"),
      fields: [{ name: "agent", label: t("transferTo"), options: agents.map((a) => ({ value: a.id, label: a.display_name })) }],
    });
    if (!answer) return;
    try {
      await api(`/api/conversations/${encodeURIComponent(c.id)}/transfer`, { method: "POST", body: { to_agent_id: answer.agent } });
      c.status = "transferred";
      c.transferredTo = agents.find((a) => a.id === answer.agent)?.display_name || "";
      this.render();
    } catch (exc) {
      this.toast(`${t("error")}: ${exc.message}`);
    }
  }

  async close() {
    const t = this.t;
    const c = this.current();
    if (!c) return;
    const ok = await ask({ title: t("closeConfirm"), message: t("closeMessage"), confirm: t("close"), cancel: t("cancel"), danger: true });
    if (!ok) return;
    try {
      await api(`/api/conversations/${encodeURIComponent(c.id)}/close`, { method: "POST" });
      c.status = "closed";
      this.render();
    } catch (exc) {
      this.toast(`${t("error")}: ${exc.message}`);
    }
  }
}
