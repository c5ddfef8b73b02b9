// The sign-in form of the workbench and the admin pages (POST /api/agents/login).

import { el } from "./dom.js";
import { login } from "./api.js";

/** Renders the form into `container`; resolves with the session once signed in. */
export function signIn(container, t) {
  return new Promise((resolve) => {
    const user = el("input", { id: "login-user", name: "username", autocomplete: "username", required: true, maxlength: 64 });
    const pass = el("input", { id: "login-pass", name: "password", type: "password", autocomplete: "current-password", required: true, maxlength: 256 });
    const error = el("p", { class: "error", role: "alert" });
    const button = el("button", { type: "submit", class: "primary" }, t("signIn"));
    const form = el("form", { class: "login card", "aria-labelledby": "login-title" },
      el("h1", { id: "login-title" }, t("signInTitle")),
      el("div", { class: "field" }, el("label", { for: "login-user" }, t("username")), user),
      el("div", { class: "field" }, el("label", { for: "login-pass" }, t("password")), pass),
      error,
      button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      error.textContent = "";
      try {
        resolve(await login(user.value.trim(), pass.value));
      } catch (exc) {
        error.textContent = exc.status === 401 ? t("signInFailed") : `${t("error")}: ${exc.message}`;
      } finally {
        button.disabled = false;
      }
    });
    container.replaceChildren(form);
    user.focus();
  });
}
