// Renders the conversation inside the widget panel: bubbles, sources, notices, typing.
// Text from visitors, agents and the bot only ever reaches the page through text nodes.

import { el, replace } from "../shared/dom.js";
import { clock } from "../shared/format.js";

/** A source may be "file#chunk", or {title, url, source}; only http(s) URLs become links. */
export function sourceItem(source) {
  if (typeof source === "string") return el("li", {}, source);
  const label = source.title || source.source || source.id || source.url || "";
  let href = null;
  try {
    const url = new URL(source.url);
    if (url.protocol === "https:" || url.protocol === "http:") href = url.href;
  } catch {
    href = null;
  }
  return el("li", {}, href ? el("a", { href, target: "_blank", rel: "noopener noreferrer" }, label) : label);
}

export class ConversationView {
  constructor(list, typingLine, t) {
    this.list = list;
    this.typingLine = typingLine;
    this.t = t;
    this.byId = new Map(); // client_msg_id -> bubble
    this.bySeq = new Map();
    this.typingTimer = null;
  }

  clear() {
    replace(this.list);
    this.byId.clear();
    this.bySeq.clear();
  }

  scroll() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  bubble(sender, text, { time, sources, status, id, agentName } = {}) {
    const t = this.t;
    const who = sender === "visitor" ? t("you") : sender === "bot" ? t("bot") : agentName || t("agent");
    const meta = el("span", { class: "meta" }, el("span", { class: "who" }, who), " · ", el("time", {}, clock(time, t.lang())));
    const state = el("span", { class: "state", "aria-live": "off" }, status ? t(status) : "");
    const body = el("p", { class: "text" }, text);
    const node = el("li", { class: `msg msg-${sender}`, dataset: { id: id || "" } }, body);
    if (Array.isArray(sources) && sources.length) {
      node.append(el("details", { class: "sources" }, el("summary", {}, t("sources")), el("ul", {}, sources.map(sourceItem))));
    }
    node.append(el("div", { class: "footer" }, meta, sender === "visitor" ? state : null));
    this.list.append(node);
    this.scroll();
    return node;
  }

  /** A message the visitor just typed, before its ack. */
  local(id, text) {
    if (this.byId.has(id)) return;
    this.byId.set(id, this.bubble("visitor", text, { id, status: "sending" }));
  }

  /** A stored message (live or replayed). */
  message(frame, agentName) {
    if (this.bySeq.has(frame.seq)) return;
    const existing = frame.sender === "visitor" ? this.byId.get(frame.client_msg_id) : null;
    if (existing) {
      this.mark(existing, frame.blocked ? "blocked" : "sent", frame.seq);
      return;
    }
    const node = this.bubble(frame.sender, frame.text, {
      time: frame.time,
      sources: frame.sources || frame.data?.sources,
      id: frame.client_msg_id,
      status: frame.sender === "visitor" ? (frame.blocked ? "blocked" : "sent") : null,
      agentName,
    });
    node.dataset.seq = String(frame.seq);
    this.bySeq.set(frame.seq, node);
    if (frame.sender === "visitor") this.byId.set(frame.client_msg_id, node);
    this.typing(false);
  }

  /** Attach the sources of a bot answer that arrived in its bot_reply event. */
  sources(seq, sources) {
    const node = this.bySeq.get(seq);
    if (!node || !Array.isArray(sources) || !sources.length || node.querySelector(".sources")) return;
    const details = el("details", { class: "sources" }, el("summary", {}, this.t("sources")), el("ul", {}, sources.map(sourceItem)));
    node.insertBefore(details, node.querySelector(".footer"));
  }

  acked(ack) {
    const node = this.byId.get(ack.client_msg_id);
    if (node) this.mark(node, ack.blocked ? "blocked" : "sent", ack.seq);
  }

  failed(id, reason) {
    const node = this.byId.get(id);
    if (!node) return;
    node.classList.add("failed");
    node.querySelector(".state").textContent = this.t("failed", { reason });
  }

  mark(node, status, seq) {
    node.dataset.seq = String(seq);
    this.bySeq.set(seq, node);
    node.classList.toggle("blocked", status === "blocked");
    node.querySelector(".state").textContent = this.t(status);
  }

  blockedSeq(seq) {
    const node = this.bySeq.get(seq);
    if (node) this.mark(node, "blocked", seq);
  }

  notice(text) {
    this.list.append(el("li", { class: "notice", role: "status" }, text));
    this.scroll();
  }

  typing(active, who) {
    clearTimeout(this.typingTimer);
    this.typingLine.hidden = !active;
    this.typingLine.textContent = active ? this.t("typing", { who }) : "";
    // A lost "stopped typing" frame must not leave the indicator on forever.
    if (active) this.typingTimer = setTimeout(() => this.typing(false), 6000);
  }
}
