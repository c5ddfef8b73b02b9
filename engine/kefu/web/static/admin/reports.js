// Reports: conversations per day, bot resolution and handoff rates, first-response and
// resolution times, as GET /api/reports computes them over every stored conversation.
// Days begin at midnight in the browser's time zone.

import { api } from "../shared/api.js";
import { el } from "../shared/dom.js";
import { duration, percent } from "../shared/format.js";
import { columnChart, rateChart } from "./charts.js";
import { section } from "./ui.js";

const DAYS = 14;

function timeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** The browser's current UTC offset, "+08:00": for a server that does not know its zone name. */
function utcOffset() {
  const minutes = -new Date().getTimezoneOffset();
  const abs = Math.abs(minutes);
  const pad = (n) => String(n).padStart(2, "0");
  return `${minutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

async function load() {
  const report = (tz) => api(`/api/reports?days=${DAYS}&tz=${encodeURIComponent(tz)}`);
  try {
    return await report(timeZone());
  } catch (exc) {
    if (exc.status !== 400) throw exc;
    return report(utcOffset());
  }
}

/** "2026-03-10" -> "3/10", without letting Date move it to another day. */
function dayLabel(day) {
  const [, month, date] = day.split("-").map(Number);
  return `${month}/${date}`;
}

function rate(t, label, figure, what) {
  const ratio = figure.value ?? NaN;
  return { label, ratio, text: `${percent(ratio)} (${figure.count}/${figure.of} ${t(what)})` };
}

function histogram(t, title, figures) {
  if (!figures.count) return el("figure", { class: "chart-figure" }, el("figcaption", {}, title), el("p", { class: "muted" }, t("noData")));
  const bars = figures.buckets.map((b) => ({ label: b.label, value: b.count }));
  const figure = columnChart(title, bars, [t("bucketCol"), t("countCol")]);
  figure.append(el("p", { class: "muted" }, [t("measured", { n: figures.count }), t("median", { v: duration(figures.p50) }), t("p90", { v: duration(figures.p90) })].join(" · ")));
  return figure;
}

export function reportsPage(container, t) {
  return section(container, t, "GET /api/reports", load, (report) => [
    el("p", { class: "muted" }, t("reportsNote", { n: report.conversations, days: report.period.days, tz: report.period.tz })),
    el("div", { class: "charts" },
      columnChart(t("perDay"), report.per_day.map((d) => ({ label: dayLabel(d.day), value: d.conversations })), [t("dayCol"), t("countCol")]),
      rateChart(t("rates"), [
        rate(t, t("botResolution"), report.bot_resolution, "closedByBot"),
        rate(t, t("handoffRate"), report.handoff, "handedOff"),
      ]),
      histogram(t, t("firstResponse"), report.first_response),
      histogram(t, t("resolutionTime"), report.resolution)),
  ]);
}
