// The left column: the agent's own conversations and the waiting queue (with waiting times).

import { api } from "../shared/api.js";
import { el, replace } from "../shared/dom.js";
import { duration } from "../shared/format.js";

const QUEUE_POLL_MS = 5000;

function lastText(c) {
  const seqs = [...c.messages.keys()];
  if (!seqs.length) return "";
  const last = c.messages.get(Math.max(...seqs));
  return last.blocked ? "" : last.text;
}

export function renderMine(container, session, t, onPick) {
  const items = [...session.conversations.values()].filter((c) => c.status !== "transferred");
  items.sort((a, b) => (a.status === "closed") - (b.status === "closed") || b.lastSeq - a.lastSeq);
  if (!items.length) return replace(container, el("p", { class: "muted" }, t("noConversations")));
  return replace(container, el("ul", { class: "conv-list" }, items.map((c) => el("li", {},
    el("button", {
      type: "button", class: "conv", "aria-current": session.active === c.id ? "true" : null,
      dataset: { conversation: c.id }, on: { click: () => onPick(c.id) },
    },
    el("span", { class: "conv-title" }, `${t("visitor")} ${c.visitor_id.slice(0, 8)}`),
    c.unread ? el("span", { class: "badge bad", "aria-label": t("newMessages", { n: c.unread }) }, String(c.unread)) : null,
    el("span", { class: `badge status-${c.status}` }, t(`status_${c.status}`)),
    el("span", { class: "conv-last" }, lastText(c)))))));
}

/** Polls the waiting conversations; each shows its place in line and how long it has waited. */
export class QueueList {
  constructor(container, t) {
    this.container = container;
    this.t = t;
    this.items = [];
    this.fetchedAt = 0;
    this.error = null;
  }

  start() {
    this.refresh();
    this.poll = setInterval(() => this.refresh(), QUEUE_POLL_MS);
    this.tick = setInterval(() => this.render(), 1000);
  }

  stop() {
    clearInterval(this.poll);
    clearInterval(this.tick);
  }

  async refresh() {
    try {
      const waiting = await api("/api/conversations?status=queued&limit=20");
      this.items = await Promise.all(waiting.map((c) => api(`/api/conversations/${encodeURIComponent(c.id)}`)));
      this.items.sort((a, b) => (a.queue_position || 99) - (b.queue_position || 99));
      this.error = null;
    } catch (exc) {
      this.error = exc.message;
    }
    this.fetchedAt = Date.now();
    this.render();
  }

  render() {
    const t = this.t;
    if (this.error) return replace(this.container, el("p", { class: "error" }, t("queueUnavailable", { reason: this.error })));
    if (!this.items.length) return replace(this.container, el("p", { class: "muted" }, t("queueEmpty")));
    const since = (Date.now() - this.fetchedAt) / 1000;
    return replace(this.container, el("ul", { class: "conv-list queue" }, this.items.map((c) => el("li", { class: "conv" },
      el("span", { class: "conv-title" }, `${t("visitor")} ${c.visitor_id.slice(0, 8)}`),
      el("span", { class: "badge warn" }, t("position", { n: c.queue_position || "?" })),
      el("span", { class: "conv-last" }, t("waited", { time: duration((c.waited_seconds || 0) + since) }))))));
  }
}
