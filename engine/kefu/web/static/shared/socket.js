// One WebSocket that comes back after drops, with backoff and keep-alive pings. The owner says
// what to send on every (re)connection and handles frames; replay logic lives with the owner.

const PING_EVERY_MS = 25_000;
const MAX_BACKOFF_MS = 10_000;

export class ReconnectingSocket {
  /**
   * @param {string} url ws:// or wss:// address
   * @param {{onOpen: () => void, onFrame: (frame: object) => void,
   *          onState?: (state: "connecting"|"open"|"closed") => void}} handlers
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.attempt = 0;
    this.stopped = false;
    this.ws = null;
    this.pingTimer = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  connect() {
    this.handlers.onState?.("connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.handlers.onState?.("open");
      this.pingTimer = setInterval(() => this.send({ type: "ping" }), PING_EVERY_MS);
      this.handlers.onOpen();
    });
    ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.handlers.onFrame(frame);
    });
    ws.addEventListener("close", (event) => {
      clearInterval(this.pingTimer);
      if (this.ws !== ws) return;
      this.ws = null;
      this.handlers.onState?.("closed", event.code);
      if (this.stopped || event.code === 1008) return; // 1008: refused credentials, do not loop
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt++) * (0.75 + Math.random() / 2);
      setTimeout(() => !this.stopped && this.connect(), delay);
    });
  }

  /** Sends a frame; false when the socket is not open (the caller keeps it for later). */
  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Drops the current connection and opens a new one (e.g. to start a new conversation). */
  restart() {
    const old = this.ws;
    this.ws = null;
    clearInterval(this.pingTimer);
    old?.close();
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.pingTimer);
    this.ws?.close();
  }
}

/** The ws(s):// URL of `path` on the server at `base` (an http(s) URL). */
export function socketUrl(base, path) {
  const url = new URL(path, base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}
