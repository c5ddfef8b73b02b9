// Mounts the visitor widget: a chat bubble that opens a panel, inside a shadow root so the
// host page's styles and the widget's never mix.

import { el } from "../shared/dom.js";
import { detectLanguage, translator } from "../shared/i18n.js";
import { MESSAGES } from "./messages.js";
import { VisitorSession } from "./session.js";
import { ConversationView } from "./view.js";

export function mount(options, assets) {
  const t = translator(MESSAGES, detectLanguage(options.lang));
  const host = el("div", { id: "kefu-widget", "data-position": options.position });
  const root = host.attachShadow({ mode: "open" });
  document.body.append(host);

  const title = el("h2", { id: "kefu-title", class: "title" });
  const status = el("p", { class: "status", role: "status" });
  const langButton = el("button", { type: "button", class: "lang" });
  const closeButton = el("button", { type: "button", class: "icon close" }, "×");
  const list = el("ol", { class: "messages", role: "log", "aria-live": "polite", "aria-relevant": "additions" });
  const typingLine = el("p", { class: "typing", hidden: true, "aria-live": "polite" });
  const humanButton = el("button", { type: "button", class: "human" });
  const endButton = el("button", { type: "button", class: "end link" });
  const newButton = el("button", { type: "button", class: "new primary", hidden: true });
  const input = el("textarea", { id: "kefu-input", rows: 1, maxlength: 4000, autocomplete: "off" });
  const inputLabel = el("label", { for: "kefu-input", class: "visually-hidden" });
  const sendButton = el("button", { type: "submit", class: "send primary" });
  const form = el("form", { class: "composer" }, inputLabel, input, sendButton);
  const panel = el("section", { class: "panel", role: "dialog", "aria-labelledby": "kefu-title", hidden: true },
    el("header", {}, el("div", {}, title, status), el("div", { class: "header-buttons" }, langButton, closeButton)),
    list,
    typingLine,
    el("div", { class: "actions" }, humanButton, endButton, newButton),
    form);
  const badge = el("span", { class: "badge", hidden: true });
  const bubble = el("button", { type: "button", class: "bubble", "aria-expanded": "false", "aria-controls": "kefu-panel" },
    el("span", { class: "bubble-icon", "aria-hidden": "true" }, "💬"), badge);
  panel.id = "kefu-panel";
  root.append(el("link", { rel: "stylesheet", href: new URL("widget/widget.css", assets).href }), bubble, panel);

  const view = new ConversationView(list, typingLine, t);
  let unread = 0;
  let connection = "connecting";
  let agentName = null;
  let closedState = false;

  function paintText() {
    title.textContent = options.title || t("title");
    bubble.setAttribute("aria-label", panel.hidden ? t("open") : t("close"));
    closeButton.setAttribute("aria-label", t("close"));
    langButton.textContent = t("language");
    langButton.setAttribute("aria-label", t("languageLabel"));
    langButton.setAttribute("lang", t.lang() === "en" ? "zh" : "en");
    humanButton.textContent = t("human");
    endButton.textContent = t("endConversation");
    newButton.textContent = t("newConversation");
    input.placeholder = t("placeholder");
    inputLabel.textContent = t("inputLabel");
    sendButton.textContent = t("send");
    status.textContent = connection === "open" ? (agentName || t("online")) : t(connection === "connecting" ? "connecting" : "offline");
    host.setAttribute("lang", t.lang() === "zh" ? "zh-CN" : "en");
    badge.textContent = String(unread);
    badge.setAttribute("aria-label", t("unread", { n: unread }));
  }

  function setClosed(closed) {
    closedState = closed;
    form.hidden = closed;
    humanButton.hidden = closed;
    endButton.hidden = closed;
    newButton.hidden = !closed;
  }

  function toggle(open) {
    panel.hidden = !open;
    bubble.setAttribute("aria-expanded", String(open));
    host.classList.toggle("open", open);
    if (open) {
      unread = 0;
      badge.hidden = true;
      if (session.lastSeq) session.read(session.lastSeq);
      view.scroll();
      input.focus();
    }
    paintText();
  }

  const session = new VisitorSession(options.server, {
    reset: () => {
      view.clear();
      view.notice(t("welcome"));
      agentName = null;
      setClosed(false);
    },
    welcome: (frame) => {
      agentName = frame.agent ? frame.agent.display_name : null;
      setClosed(frame.status === "closed");
      paintText();
    },
    message: (frame) => {
      view.message(frame, agentName);
      if (frame.sender !== "visitor" && panel.hidden) {
        unread += 1;
        badge.hidden = false;
        paintText();
      } else if (!panel.hidden) {
        session.read(frame.seq);
      }
    },
    local: (id, text) => view.local(id, text),
    acked: (ack) => view.acked(ack),
    failed: (id, code, message) => view.failed(id, message || code),
    typing: (frame) => view.typing(frame.active, frame.sender === "bot" ? t("bot") : agentName || t("agent")),
    synced: () => {},
    event: (name, data) => {
      if (name === "queued") view.notice(t("queued", { position: data.position }));
      if (name === "assigned" || name === "transferred") {
        agentName = data.agent ? data.agent.display_name : agentName;
        view.notice(t(name, { name: agentName || t("agent") }));
      }
      if (name === "closed") {
        view.notice(t(data.by === "visitor" ? "closedByYou" : "closed"));
        setClosed(true);
      }
      if (name === "blocked" && data.seq) view.blockedSeq(data.seq);
      if (name === "bot_reply" && data.seq) view.sources(data.seq, data.sources);
      paintText();
    },
    connection: (state) => {
      connection = state;
      paintText();
    },
  }, { displayName: options.name });

  bubble.addEventListener("click", () => toggle(panel.hidden));
  closeButton.addEventListener("click", () => {
    toggle(false);
    bubble.focus();
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      toggle(false);
      bubble.focus();
    }
  });
  langButton.addEventListener("click", () => t.set(t.lang() === "en" ? "zh" : "en"));
  t.onChange(paintText);
  humanButton.addEventListener("click", () => session.send(t("humanText")));
  endButton.addEventListener("click", () => session.close());
  newButton.addEventListener("click", () => {
    setClosed(false);
    session.restart();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || closedState) return;
    session.send(text);
    input.value = "";
    input.style.height = "";
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
    session.typing(input.value.length > 0);
  });

  view.notice(t("welcome"));
  paintText();
  session.start();
  if (options.open) toggle(true);
  return { session, toggle };
}
