// The agent side of Kefu's frame protocol (docs/protocol.md): hello with the token and the
// last seq seen per conversation, replays, acks, events. Holds the conversations' state and
// tells the page when something changed.

import { api, clearSession, currentSession, renewSession } from "../shared/api.js";
import { newId } from "../shared/dom.js";
import { ReconnectingSocket, socketUrl } from "../shared/socket.js";

function conversation(id, fields = {}) {
  return {
    id, visitor_id: "", status: "assigned", lastSeq: 0, seen: new Set(), messages: new Map(),
    pending: new Map(), unread: 0, suggestions: [], hints: [], results: [], typing: false,
    ...fields,
  };
}

export class AgentSession {
  constructor(onChange) {
    this.onChange = onChange; // (what, conversationId, data) => void
    this.agentId = null;
    this.conversations = new Map();
    this.active = null;
    this.typingTimers = new Map();
    this.socket = new ReconnectingSocket(socketUrl(location.href, "/ws/agent"), {
      onOpen: () => this.hello(),
      onFrame: (frame) => this.receive(frame),
      onState: (state, code) => {
        if (state === "closed" && code === 1008) this.refused();
        this.onChange("connection", state);
      },
    });
  }

  start() {
    this.socket.start();
  }

  // 1008: the token was refused (expired, revoked, or not a chat role). Renew it once and come
  // back; refused again right after a renewal means this person may not chat: sign out.
  async refused() {
    const recent = this.renewedAt && Date.now() - this.renewedAt < 10_000;
    if (!recent && (await renewSession())) {
      this.renewedAt = Date.now();
      this.socket.restart();
      return;
    }
    clearSession();
    window.dispatchEvent(new Event("kefu:signed-out"));
  }

  hello() {
    const last_seqs = {};
    for (const [id, c] of this.conversations) if (c.lastSeq) last_seqs[id] = c.lastSeq;
    this.socket.send({ type: "hello", v: 1, token: currentSession()?.token || "", last_seqs });
  }

  get(id, fields) {
    if (!this.conversations.has(id)) this.conversations.set(id, conversation(id, fields));
    return this.conversations.get(id);
  }

  advance(c, seq) {
    c.seen.add(seq);
    while (c.seen.has(c.lastSeq + 1)) c.lastSeq += 1;
  }

  receive(frame) {
    const cid = frame.conversation_id;
    switch (frame.type) {
      case "welcome":
        this.agentId = frame.agent_id;
        this.displayName = frame.display_name;
        for (const summary of frame.conversations) {
          const c = this.get(summary.conversation_id);
          c.visitor_id = summary.visitor_id;
          c.status = summary.status;
        }
        this.onChange("list");
        break;
      case "message": {
        const c = this.get(cid);
        if (!c.messages.has(frame.seq)) {
          c.messages.set(frame.seq, frame);
          if (frame.sender === "agent") c.pending.delete(frame.client_msg_id);
          if (frame.sender !== "agent" && this.active !== cid) c.unread += 1;
          if (frame.sender === "visitor") c.typing = false;
        }
        this.advance(c, frame.seq);
        if (this.active === cid) this.read(cid);
        this.onChange("messages", cid);
        break;
      }
      case "ack": {
        const c = this.get(cid);
        const text = c.pending.get(frame.client_msg_id);
        c.pending.delete(frame.client_msg_id);
        if (!c.messages.has(frame.seq) && text !== undefined) {
          c.messages.set(frame.seq, {
            seq: frame.seq, sender: "agent", sender_id: this.agentId, client_msg_id: frame.client_msg_id,
            text, time: new Date().toISOString(), blocked: frame.blocked, filter_action: frame.blocked ? "block" : "allow",
          });
        }
        this.advance(c, frame.seq);
        this.onChange("messages", cid);
        break;
      }
      case "synced": {
        const c = this.get(cid);
        c.lastSeq = Math.max(c.lastSeq, frame.last_seq);
        this.advance(c, c.lastSeq);
        for (const [id, text] of c.pending) {
          this.socket.send({ type: "message", conversation_id: cid, client_msg_id: id, text });
        }
        this.onChange("messages", cid);
        break;
      }
      case "typing": {
        const c = this.get(cid);
        c.typing = frame.active;
        clearTimeout(this.typingTimers.get(cid));
        if (frame.active) this.typingTimers.set(cid, setTimeout(() => { c.typing = false; this.onChange("typing", cid); }, 6000));
        this.onChange("typing", cid);
        break;
      }
      case "event":
        this.event(frame.name, cid, frame.data || {});
        break;
      case "error":
        this.error(frame);
        break;
      default:
        break;
    }
  }

  event(name, cid, data) {
    if (name === "assigned") {
      const c = this.get(cid);
      c.status = "assigned";
      if (data.visitor_id) c.visitor_id = data.visitor_id;
      this.onChange("list", cid);
    } else if (name === "transferred") {
      const c = this.get(cid);
      if (data.from_agent_id === this.agentId) {
        c.status = "transferred";
        c.transferredTo = data.agent ? data.agent.display_name : "";
      }
      this.onChange("list", cid);
    } else if (name === "closed") {
      this.get(cid).status = "closed";
      this.onChange("list", cid);
    } else if (name === "suggestions") {
      const c = this.get(cid);
      c.suggestions = (data.items || []).slice(0, 3);
      this.onChange("suggestions", cid);
    } else if (name === "hint") {
      const c = this.get(cid);
      if (!c.hints.some((h) => h.id && h.id === data.id)) c.hints.push(data);
      this.onChange("hints", cid);
    } else if (name === "action_result") {
      this.onChange("action_result", cid, data);
    } else if (name === "blocked") {
      this.onChange("messages", cid);
    }
  }

  error(frame) {
    for (const c of this.conversations.values()) {
      if (frame.ref && c.pending.has(frame.ref)) {
        c.pending.delete(frame.ref);
        c.failed = { ref: frame.ref, message: frame.message };
        this.onChange("messages", c.id);
        return;
      }
    }
    this.onChange("error", null, frame);
  }

  send(cid, text) {
    const c = this.get(cid);
    const id = newId();
    c.pending.set(id, text);
    c.suggestions = [];
    this.socket.send({ type: "message", conversation_id: cid, client_msg_id: id, text });
    this.typing(cid, false);
    this.onChange("messages", cid);
  }

  typing(cid, active) {
    const now = Date.now();
    if (active && this.lastTyping && now - this.lastTyping < 3000) return;
    this.lastTyping = active ? now : 0;
    this.socket.send({ type: "typing", conversation_id: cid, active });
  }

  read(cid) {
    const c = this.conversations.get(cid);
    if (!c) return;
    c.unread = 0;
    if (c.lastSeq) this.socket.send({ type: "read", conversation_id: cid, seq: c.lastSeq });
  }

  select(cid) {
    this.active = cid;
    this.read(cid);
    this.history(cid);
  }

  /**
   * Reads a conversation's stored messages once (GET /api/conversations/{id}/messages): after
   * a page reload the socket replays only what came after the agent's read mark, so the
   * earlier part of the conversation comes from the store.
   */
  async history(cid) {
    const c = this.get(cid);
    if (c.historyLoaded) return;
    c.historyLoaded = true;
    const PAGE = 200;
    let since = 0;
    try {
      for (let page = 0; page < 10; page += 1) {
        const rows = await api(`/api/conversations/${encodeURIComponent(cid)}/messages?since=${since}&limit=${PAGE}`);
        for (const m of rows) {
          if (!c.messages.has(m.seq)) c.messages.set(m.seq, { ...m, type: "message", conversation_id: cid });
          this.advance(c, m.seq);
          since = Math.max(since, m.seq);
        }
        if (rows.length < PAGE) break;
      }
    } catch {
      c.historyLoaded = false; // try again next time the conversation is opened
      return;
    }
    this.onChange("messages", cid);
  }

  stop() {
    this.socket.stop();
  }
}
