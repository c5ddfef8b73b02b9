// Small building blocks of the admin pages: tables, the "not available" state, loading.

import { el } from "../shared/dom.js";

export function unavailable(t, api) {
  return el("div", { class: "unavailable", role: "status" }, el("strong", {}, t("unavailable")), el("p", {}, t("unavailableWhy", { api })));
}

export function loading(t) {
  return el("p", { class: "muted", role: "status" }, t("loading"));
}

export function failure(t, exc, retry) {
  return el("div", { class: "error", role: "alert" }, `${t("error")}: ${exc.message} `, retry ? el("button", { type: "button", on: { click: retry } }, t("retry")) : null);
}

/** A table from rows; columns: [{label, cell: (row) => node|string}]. */
export function table(columns, rows, caption) {
  return el("div", { class: "table-wrap" }, el("table", {},
    caption ? el("caption", { class: "visually-hidden" }, caption) : null,
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col" }, c.label)))),
    el("tbody", {}, rows.map((row) => el("tr", {}, columns.map((c) => el("td", {}, c.cell(row))))))));
}

export function forbidden(t) {
  return el("div", { class: "unavailable", role: "status" }, el("strong", {}, t("forbidden")), el("p", {}, t("forbiddenWhy")));
}

/** Runs `load` and renders its result into `container`, or the matching error state. */
export async function section(container, t, api, load, render) {
  container.replaceChildren(loading(t));
  try {
    const data = await load();
    container.replaceChildren(...[render(data)].flat());
  } catch (exc) {
    let state;
    if (exc.unavailable) state = unavailable(t, api);
    else if (exc.forbidden) state = forbidden(t);
    else state = failure(t, exc, () => section(container, t, api, load, render));
    container.replaceChildren(state);
  }
}
