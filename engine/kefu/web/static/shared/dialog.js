// Modal dialogs on the native <dialog> element (focus trap, Escape and backdrop for free).

import { el } from "./dom.js";

/**
 * Asks for confirmation, optionally with form fields; resolves to the field values, or null
 * when cancelled. fields: [{name, label, type?, value?, required?, min?, options?}]
 */
export function ask({ title, message, fields = [], confirm, cancel, danger = false }) {
  return new Promise((resolve) => {
    const inputs = {};
    const rows = fields.map((field) => {
      const id = `dlg-${field.name}-${Math.random().toString(36).slice(2, 7)}`;
      let input;
      if (field.options) {
        input = el("select", { id, name: field.name }, field.options.map((o) => el("option", { value: o.value }, o.label)));
      } else if (field.type === "textarea") {
        input = el("textarea", { id, name: field.name, rows: 3, required: field.required, maxlength: field.maxlength });
      } else {
        input = el("input", {
          id, name: field.name, type: field.type || "text", required: field.required, min: field.min, step: field.step,
          maxlength: field.maxlength,
        });
      }
      if (field.value !== undefined) input.value = field.value;
      inputs[field.name] = input;
      return el("div", { class: "field" }, el("label", { for: id }, field.label), input);
    });
    const form = el("form", { method: "dialog" },
      el("h2", {}, title),
      message ? el("p", { class: "dialog-message" }, message) : null,
      rows,
      el("div", { class: "dialog-buttons" },
        el("button", { type: "button", class: "secondary", value: "cancel", on: { click: () => dialog.close("cancel") } }, cancel),
        el("button", { type: "submit", class: danger ? "danger" : "primary", value: "ok" }, confirm)));
    const dialog = el("dialog", { class: "kefu-dialog", "aria-label": title }, form);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      dialog.close("ok");
    });
    dialog.addEventListener("close", () => {
      const values = {};
      for (const [name, input] of Object.entries(inputs)) values[name] = input.value;
      dialog.remove();
      resolve(dialog.returnValue === "ok" ? values : null);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
