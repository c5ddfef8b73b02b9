// The visitor side of Kefu's frame protocol (docs/protocol.md): hello/resume, acks, replay
// after a drop, resending unacknowledged messages with their original client ids.
// The visitor token, conversation id, last seen seq and unsent messages are kept in
// localStorage. A reconnecting socket resumes after the last seq seen; a freshly loaded page
// has an empty view, so its first hello asks for the whole conversation again.

import { newId } from "../shared/dom.js";
import { ReconnectingSocket, socketUrl } from "../shared/socket.js";

const TYPING_EVERY_MS = 3000;

function load(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "{}");
  } catch {
    return {};
  }
}

export class VisitorSession {
  /**
   * @param {string} server http(s) base URL of the Kefu server
   * @param {object} listener callbacks: reset, welcome, message, local, acked, failed, typing,
   *   event, synced, connection
   * @param {{displayName?: string}} options
   */
  constructor(server, listener, options = {}) {
    this.key = `kefu.visitor:${new URL(server).host}`;
    this.listener = listener;
    this.displayName = options.displayName || "";
    const saved = load(this.key);
    this.token = saved.token || null;
    this.conversationId = saved.conversationId || null;
    this.lastSeq = saved.lastSeq || 0;
    this.pending = new Map(saved.pending || []); // client_msg_id -> text, until acked
    this.seen = new Set();
    this.status = null;
    this.synced = false;
    this.lastTyping = 0;
    this.socket = new ReconnectingSocket(socketUrl(server, "/ws/visitor"), {
      onOpen: () => this.hello(),
      onFrame: (frame) => this.receive(frame),
      onState: (state) => listener.connection(state),
    });
  }

  start() {
    // Unsent messages from before a reload are shown again, waiting for their ack.
    for (const [id, text] of this.pending) this.listener.local(id, text);
    this.socket.start();
  }

  save() {
    const state = {
      token: this.token,
      conversationId: this.conversationId,
      lastSeq: this.lastSeq,
      pending: [...this.pending],
    };
    try {
      localStorage.setItem(this.key, JSON.stringify(state));
    } catch {
      // Without storage the chat still works; only a page reload forgets it.
    }
  }

  hello() {
    this.synced = false;
    const frame = { type: "hello", v: 1, last_seq: 0 };
    if (this.token) frame.visitor_token = this.token;
    if (this.token && this.conversationId) {
      frame.conversation_id = this.conversationId;
      frame.last_seq = this.seen.size ? this.lastSeq : 0;
    }
    if (this.displayName) frame.display_name = this.displayName.slice(0, 200);
    this.socket.send(frame);
  }

  // The highest seq up to which nothing is missing: acks and live frames may arrive out of
  // order, so only a contiguous run (or a completed replay) may advance it.
  advance(seq) {
    this.seen.add(seq);
    while (this.seen.has(this.lastSeq + 1)) this.lastSeq += 1;
    this.save();
  }

  receive(frame) {
    switch (frame.type) {
      case "welcome":
        if (!this.seen.size) this.lastSeq = 0; // a fresh page: the replay starts from the top
        if (frame.conversation_id !== this.conversationId) {
          this.lastSeq = 0;
          this.seen.clear();
          this.listener.reset();
          // Typed before the conversation existed: still waiting to be sent into it.
          for (const [id, text] of this.pending) this.listener.local(id, text);
        }
        this.token = frame.visitor_token;
        this.conversationId = frame.conversation_id;
        this.status = frame.status;
        this.save();
        this.listener.welcome(frame);
        break;
      case "message":
        if (this.seen.has(frame.seq)) return;
        this.pending.delete(frame.client_msg_id);
        this.advance(frame.seq);
        this.listener.message(frame);
        break;
      case "ack":
        this.pending.delete(frame.client_msg_id);
        this.advance(frame.seq);
        this.listener.acked(frame);
        break;
      case "synced":
        this.synced = true;
        this.lastSeq = Math.max(this.lastSeq, frame.last_seq);
        this.advance(this.lastSeq);
        for (const [id, text] of this.pending) this.socket.send({ type: "message", client_msg_id: id, text });
        this.listener.synced(frame);
        break;
      case "typing":
        this.listener.typing(frame);
        break;
      case "event":
        if (frame.name === "closed") this.status = "closed";
        if (frame.name === "assigned" || frame.name === "transferred") this.status = "assigned";
        if (frame.name === "queued") this.status = "queued";
        this.listener.event(frame.name, frame.data || {});
        break;
      case "error":
        this.onError(frame);
        break;
      default:
        break;
    }
  }

  onError(frame) {
    if (frame.code === "bad_token" || frame.code === "unknown_conversation") {
      // The stored identity is no longer valid (e.g. the server's secret changed): start afresh.
      this.token = null;
      this.conversationId = null;
      this.lastSeq = 0;
      this.save();
      this.socket.restart();
      return;
    }
    if (frame.code === "conversation_closed") {
      this.status = "closed";
      this.listener.event("closed", {});
    }
    if (frame.ref && this.pending.has(frame.ref)) {
      this.pending.delete(frame.ref);
      this.save();
      this.listener.failed(frame.ref, frame.code, frame.message);
    }
  }

  send(text) {
    const id = newId();
    this.pending.set(id, text);
    this.save();
    this.listener.local(id, text);
    if (this.synced) this.socket.send({ type: "message", client_msg_id: id, text });
    this.typing(false);
    return id;
  }

  typing(active) {
    const now = Date.now();
    if (active && now - this.lastTyping < TYPING_EVERY_MS) return;
    this.lastTyping = active ? now : 0;
    if (this.synced) this.socket.send({ type: "typing", active });
  }

  read(seq) {
    if (this.synced) this.socket.send({ type: "read", seq });
  }

  close() {
    this.socket.send({ type: "close" });
  }

  /** After a conversation ended: a new one for the same visitor. */
  restart() {
    this.conversationId = null;
    this.lastSeq = 0;
    this.seen.clear();
    this.pending.clear();
    this.save();
    this.socket.restart();
  }
}
