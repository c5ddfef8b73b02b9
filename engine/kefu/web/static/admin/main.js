// Boots the admin pages: sign in, then one section at a time chosen by the URL hash.

import { currentSession, logout, scheduleRenewal } from "../shared/api.js";
import { el, replace } from "../shared/dom.js";
import { applyText, detectLanguage, translator } from "../shared/i18n.js";
import { signIn } from "../shared/login.js";
import { agentsPage } from "./agents.js";
import { auditPage } from "./audit.js";
import { keysPage } from "./keys.js";
import { MESSAGES } from "./messages.js";
import { packsPage } from "./packs.js";
import { pluginsPage } from "./plugins.js";
import { reportsPage } from "./reports.js";

const PAGES = { agents: agentsPage, keys: keysPage, packs: packsPage, plugins: pluginsPage, audit: auditPage, reports: reportsPage };
const t = translator(MESSAGES, detectLanguage(document.documentElement.lang));
const app = document.getElementById("app");
const topbar = document.getElementById("topbar");
const langButton = document.getElementById("lang");
const signOutButton = document.getElementById("sign-out");

function current() {
  const name = location.hash.slice(1);
  return name in PAGES ? name : "agents";
}

function paintChrome() {
  document.documentElement.lang = t.lang() === "zh" ? "zh-CN" : "en";
  document.title = t("brand");
  applyText(topbar, t);
  langButton.textContent = t("language");
  langButton.setAttribute("aria-label", t("languageLabel"));
}

function show(nav, content) {
  const name = current();
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
    link.textContent = t(`tab_${link.dataset.page}`);
  }
  const heading = el("h1", { tabindex: "-1" }, t(`tab_${name}`));
  const body = el("div", { class: "page-body" });
  replace(content, heading, body);
  PAGES[name](body, t);
  return heading;
}

async function boot() {
  paintChrome();
  langButton.addEventListener("click", () => t.set(t.lang() === "en" ? "zh" : "en"));
  signOutButton.addEventListener("click", async () => {
    await logout();
    location.reload();
  });
  window.addEventListener("kefu:signed-out", () => location.reload());
  if (!currentSession()) {
    signOutButton.hidden = true;
    await signIn(app, t);
  }
  scheduleRenewal();
  signOutButton.hidden = false;
  const nav = el("nav", { class: "tabs", "aria-label": t("sections") }, el("ul", {},
    Object.keys(PAGES).map((name) => el("li", {}, el("a", { href: `#${name}`, dataset: { page: name } })))));
  const content = el("section", { class: "content", "aria-live": "polite" });
  replace(app, el("div", { class: "admin" }, nav, content));
  window.addEventListener("hashchange", () => show(nav, content).focus());
  t.onChange(() => {
    paintChrome();
    show(nav, content);
  });
  show(nav, content);
}

boot();
