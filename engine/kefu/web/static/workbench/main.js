// Boots the agent workbench: sign in, connect the agent socket, lay out the three columns.

import { currentSession, logout, scheduleRenewal } from "../shared/api.js";
import { el, replace } from "../shared/dom.js";
import { applyText, detectLanguage, translator } from "../shared/i18n.js";
import { signIn } from "../shared/login.js";
import { AgentSession } from "./agent-session.js";
import { ConversationPane } from "./conversation.js";
import { CustomerPanel } from "./customer.js";
import { QueueList, renderMine } from "./lists.js";
import { MESSAGES } from "./messages.js";

const t = translator(MESSAGES, detectLanguage(document.documentElement.lang));
const app = document.getElementById("app");
const topbar = document.getElementById("topbar");
const who = document.getElementById("who");
const conn = document.getElementById("conn");
const langButton = document.getElementById("lang");
const signOutButton = document.getElementById("sign-out");

function toast(text) {
  const note = el("div", { class: "toast", role: "alert" }, text);
  document.body.append(note);
  setTimeout(() => note.remove(), 4000);
}

function paintChrome() {
  document.documentElement.lang = t.lang() === "zh" ? "zh-CN" : "en";
  document.title = t("brand");
  applyText(topbar, t);
  langButton.textContent = t("language");
  langButton.setAttribute("aria-label", t("languageLabel"));
}

langButton.addEventListener("click", () => t.set(t.lang() === "en" ? "zh" : "en"));
signOutButton.addEventListener("click", async () => {
  await logout();
  location.reload();
});
window.addEventListener("kefu:signed-out", () => location.reload());

async function boot() {
  paintChrome();
  let session = currentSession();
  if (!session) {
    signOutButton.hidden = true;
    session = await signIn(app, t);
  }
  scheduleRenewal();
  signOutButton.hidden = false;
  who.textContent = session.agent.display_name;

  const mine = el("div", { id: "mine" });
  const queueBox = el("div", { id: "queue" });
  const center = el("section", { class: "center", "aria-label": "conversation" });
  const right = el("aside", { class: "customer", "aria-labelledby": "customer-title" });
  const left = el("nav", { class: "lists", "aria-label": "conversations" },
    el("h2", { "data-i18n": "mine" }), mine, el("h2", { "data-i18n": "queue" }), queueBox);
  replace(app, el("div", { class: "workbench" }, left, center, right));

  let agent;
  const queue = new QueueList(queueBox, t);
  const customer = new CustomerPanel(right, t, toast);
  const pick = (cid) => {
    agent.select(cid);
    pane.render();
    customer.load(cid);
    renderMine(mine, agent, t, pick);
    app.querySelector(".workbench").classList.add("has-active");
  };
  agent = new AgentSession((what, cid, data) => {
    if (what === "connection") {
      conn.textContent = t(cid === "open" ? "online" : cid === "connecting" ? "connecting" : "offline");
      conn.classList.toggle("open", cid === "open");
      return;
    }
    if (what === "action_result") return customer.pushed(data);
    if (what === "error") return toast(`${t("error")}: ${data.message}`);
    if (what === "list" || what === "messages") renderMine(mine, agent, t, pick);
    if (what === "list" && !agent.active && cid) pick(cid);
    if (!cid || cid === agent.active) pane.render();
    if (what === "list") queue.refresh();
  });
  const pane = new ConversationPane(center, agent, t, toast);
  t.onChange(() => {
    paintChrome();
    applyText(app, t);
    renderMine(mine, agent, t, pick);
    queue.render();
    pane.render();
    customer.render();
  });
  applyText(app, t);
  pane.render();
  customer.render();
  queue.start();
  agent.start();
}

boot();
