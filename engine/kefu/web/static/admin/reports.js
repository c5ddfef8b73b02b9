// Reports: conversations per day, bot resolution and handoff rates, first-response and
// resolution times. This server has no reports API yet, so the figures are computed here
// from the conversation API (and the page says so).

import { api } from "../shared/api.js";
import { el } from "../shared/dom.js";
import { duration, percent } from "../shared/format.js";
import { columnChart, rateChart } from "./charts.js";
import { section } from "./ui.js";

const SAMPLE = 500;
const RESPONSE_SAMPLE = 40;
const DAYS = 14;
const BUCKETS = [30, 60, 120, 300, 600, 1800, 3600, Infinity];

function quantile(values, q) {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function histogram(t, title, seconds) {
  if (!seconds.length) return el("figure", { class: "chart-figure" }, el("figcaption", {}, title), el("p", { class: "muted" }, t("noData")));
  const counts = BUCKETS.map(() => 0);
  for (const s of seconds) counts[BUCKETS.findIndex((b) => s <= b)] += 1;
  const bars = BUCKETS.map((b, i) => ({ label: b === Infinity ? `>${duration(BUCKETS[i - 1])}` : `≤${duration(b)}`, value: counts[i] }));
  const figure = columnChart(title, bars, [t("bucketCol"), t("countCol")]);
  figure.append(el("p", { class: "muted" }, `${t("median", { v: duration(quantile(seconds, 0.5)) })} · ${t("p90", { v: duration(quantile(seconds, 0.9)) })}`));
  return figure;
}

async function firstResponses(conversations) {
  const handed = conversations.filter((c) => c.agent_id).slice(0, RESPONSE_SAMPLE);
  const times = await Promise.all(handed.map(async (c) => {
    const messages = await api(`/api/conversations/${encodeURIComponent(c.id)}/messages?limit=200`);
    const asked = messages.find((m) => m.sender === "visitor");
    const answered = asked && messages.find((m) => m.sender === "agent" && m.seq > asked.seq);
    return answered ? (Date.parse(answered.time) - Date.parse(asked.time)) / 1000 : null;
  }));
  return { sampled: handed.length, seconds: times.filter((s) => s !== null && s >= 0) };
}

async function load() {
  const conversations = await api(`/api/conversations?limit=${SAMPLE}`);
  return { conversations, responses: await firstResponses(conversations) };
}

export function reportsPage(container, t) {
  return section(container, t, "GET /api/conversations", load, ({ conversations, responses }) => {
    const today = new Date();
    const days = [];
    for (let i = DAYS - 1; i >= 0; i -= 1) {
      const d = new Date(today.getFullYear(), today.getMonth(), today.getDate() - i);
      days.push({ key: d.toDateString(), label: `${d.getMonth() + 1}/${d.getDate()}`, value: 0 });
    }
    for (const c of conversations) {
      const day = days.find((d) => d.key === new Date(c.created_at).toDateString());
      if (day) day.value += 1;
    }
    const closed = conversations.filter((c) => c.status === "closed");
    const byBot = closed.filter((c) => !c.agent_id).length;
    const handed = conversations.filter((c) => c.agent_id || c.status === "queued").length;
    const botRate = closed.length ? byBot / closed.length : NaN;
    const handoffRate = conversations.length ? handed / conversations.length : NaN;
    const resolution = closed.map((c) => (Date.parse(c.updated_at) - Date.parse(c.created_at)) / 1000).filter((s) => s >= 0);
    return [
      el("p", { class: "muted" }, t("reportsNote", { n: conversations.length, m: responses.sampled })),
      el("div", { class: "charts" },
        columnChart(t("perDay"), days, [t("dayCol"), t("countCol")]),
        rateChart(t("rates"), [
          { label: t("botResolution"), ratio: botRate, text: `${percent(botRate)} (${byBot}/${closed.length} ${t("closedByBot")})` },
          { label: t("handoffRate"), ratio: handoffRate, text: `${percent(handoffRate)} (${handed}/${conversations.length} ${t("handedOff")})` },
        ]),
        histogram(t, t("firstResponse"), responses.seconds),
        histogram(t, t("resolutionTime"), resolution)),
    ];
  });
}
