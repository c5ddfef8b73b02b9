// Display formats shared by the widget, the workbench and the admin pages.

export function clock(iso, lang) {
  const date = iso ? new Date(iso) : new Date();
  return date.toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" });
}

export function dateTime(iso, lang) {
  if (!iso) return "—";
  const date = typeof iso === "number" ? new Date(iso * 1000) : new Date(iso);
  return date.toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { dateStyle: "short", timeStyle: "short" });
}

/** 75 -> "1m 15s"; 4000 -> "1h 6m". */
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const join = (big, bigUnit, small, smallUnit) => (small ? `${big}${bigUnit} ${small}${smallUnit}` : `${big}${bigUnit}`);
  if (s < 3600) return join(Math.floor(s / 60), "m", s % 60, "s");
  return join(Math.floor(s / 3600), "h", Math.floor((s % 3600) / 60), "m");
}

export function money(cents, currency = "CNY", lang = "en") {
  if (typeof cents !== "number") return "—";
  try {
    return new Intl.NumberFormat(lang === "zh" ? "zh-CN" : "en-GB", { style: "currency", currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

export function percent(ratio) {
  return Number.isFinite(ratio) ? `${Math.round(ratio * 1000) / 10}%` : "—";
}
