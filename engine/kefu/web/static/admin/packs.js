// Knowledge packs: installed versions with their evaluation figures, what is served, reload,
// rollback (GET /api/packs, POST /api/packs/{name}/reload|rollback) and install by uploading
// the archive `kefu pack build` writes (POST /api/packs, multipart: archive, activate).

import { ApiError, api, currentSession, renewSession } from "../shared/api.js";
import { ask } from "../shared/dialog.js";
import { el } from "../shared/dom.js";
import { dateTime, percent } from "../shared/format.js";
import { section, table } from "./ui.js";

function figures(t, ev) {
  if (!ev) return "—";
  const parts = [];
  if (ev.intent_accuracy != null) parts.push(`${t("intentAccuracy")} ${percent(ev.intent_accuracy)}`);
  if (ev.recall_at_1 != null) parts.push(`${t("recall1")} ${percent(ev.recall_at_1)}`);
  if (ev.recall_at_5 != null) parts.push(`${t("recall5")} ${percent(ev.recall_at_5)}`);
  if (ev.mrr != null) parts.push(`${t("mrr")} ${Number(ev.mrr).toFixed(3)}`);
  return parts.length ? el("ul", { class: "figures" }, parts.map((p) => el("li", {}, p))) : "—";
}

/** POSTs a form with the access token, reporting upload progress (fetch cannot). */
function send(form, token, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/packs");
    xhr.setRequestHeader("Accept", "application/json");
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = xhr.responseText;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      const detail = (data && (data.detail || data.error)) || xhr.statusText || `HTTP ${xhr.status}`;
      reject(new ApiError(xhr.status, typeof detail === "string" ? detail : JSON.stringify(detail), data));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "the upload was interrupted")));
    xhr.send(form);
  });
}

async function uploadPack(file, activate, onProgress) {
  const form = new FormData();
  form.append("activate", activate ? "true" : "false");
  form.append("archive", file, file.name);
  try {
    return await send(form, currentSession()?.token, onProgress);
  } catch (exc) {
    if (exc.status !== 401 || !(await renewSession())) throw exc;
    return send(form, currentSession()?.token, onProgress);
  }
}

function installForm(t, onInstalled) {
  const file = el("input", { id: "pack-archive", name: "archive", type: "file", accept: ".kpack,.tar.gz", required: true });
  const activate = el("input", { id: "pack-activate", name: "activate", type: "checkbox" });
  const progress = el("progress", { max: "100", value: "0", hidden: true, "aria-label": t("uploadProgress") });
  const status = el("p", { class: "muted", role: "status" });
  const button = el("button", { type: "submit" }, t("installButton"));
  const say = (text, cls = "muted") => {
    status.className = cls;
    status.setAttribute("role", cls === "error" ? "alert" : "status");
    status.textContent = text;
  };
  const submit = async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    say(t("uploading", { percent: "0%" }));
    try {
      const result = await uploadPack(chosen, activate.checked, (share) => {
        progress.value = Math.round(share * 100);
        say(share < 1 ? t("uploading", { percent: percent(share) }) : t("installingPack"));
      });
      const v = result.installed;
      await onInstalled(t(v.active ? "installedActive" : "installedInactive", { name: v.name, version: v.version }));
    } catch (exc) {
      say(exc.unavailable ? t("installUnavailable") : `${t("error")}: ${exc.message}`, exc.unavailable ? "unavailable" : "error");
    } finally {
      button.disabled = false;
      progress.hidden = true;
    }
  };
  return el("form", { class: "inline-form", on: { submit } },
    el("h2", {}, t("install")),
    el("label", { for: "pack-archive" }, t("archiveLabel")), file,
    el("label", { for: "pack-activate", class: "check" }, activate, " ", t("activateLabel")),
    button, progress, status);
}

export function packsPage(container, t) {
  const reload = () => packsPage(container, t);
  const note = (text, cls = "muted") => container.prepend(el("p", { class: cls, role: "status" }, text));
  const post = async (path, body, confirmText) => {
    if (confirmText && !(await ask({ title: t("confirm"), message: confirmText, confirm: t("confirm"), cancel: t("cancel") }))) return;
    try {
      await api(path, { method: "POST", body });
      await reload();
      note(t("done"));
    } catch (exc) {
      note(`${t("error")}: ${exc.message}`, "error");
    }
  };
  const installed = async (message) => {
    await reload();
    note(message);
  };
  return section(container, t, "GET /api/packs", () => api("/api/packs"), (data) => {
    const serving = data.serving;
    return [
      el("p", { class: "card" }, serving ? `${t("serving")}: ${serving.pack} ${serving.version}${serving.error ? ` — ${serving.error}` : ""}` : t("notServing")),
      data.packs.length ? table([
        { label: t("pack"), cell: (p) => p.name },
        { label: t("version"), cell: (p) => [p.version, " ", p.active ? el("span", { class: "badge ok" }, t("active")) : null] },
        { label: t("vertical"), cell: (p) => p.vertical || "—" },
        { label: t("installed"), cell: (p) => dateTime(p.installed_at, t.lang()) },
        { label: t("evaluation"), cell: (p) => figures(t, p.eval) },
        { label: "", cell: (p) => p.active ? el("span", { class: "row-actions" },
          el("button", { type: "button", class: "small", on: { click: () => post(`/api/packs/${encodeURIComponent(p.name)}/reload`, undefined, t("reloadConfirm", { name: p.name })) } }, t("reload")),
          el("button", { type: "button", class: "small", on: { click: () => post(`/api/packs/${encodeURIComponent(p.name)}/rollback`, undefined, t("rollbackConfirm", { name: p.name })) } }, t("rollback"))) : "" },
      ], data.packs, t("tab_packs")) : el("p", { class: "muted" }, t("none")),
      installForm(t, installed),
    ];
  });
}
