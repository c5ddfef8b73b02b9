// Hand-drawn SVG charts (no library): vertical bars and horizontal rate bars. Each chart
// carries a text alternative: an aria-label summary and a visually hidden data table.

import { el } from "../shared/dom.js";

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function dataTable(caption, headers, rows) {
  return el("table", { class: "visually-hidden" }, el("caption", {}, caption),
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))));
}

/** bars: [{label, value, text?}] — a column chart with value labels. */
export function columnChart(title, bars, headers) {
  const width = 360;
  const height = 200;
  const pad = { top: 20, bottom: 36, left: 8, right: 8 };
  const max = Math.max(1, ...bars.map((b) => b.value));
  const slot = (width - pad.left - pad.right) / Math.max(1, bars.length);
  const barWidth = Math.max(4, slot * 0.7);
  const plot = height - pad.top - pad.bottom;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${title}: ${bars.map((b) => `${b.label} ${b.text ?? b.value}`).join(", ")}`, class: "chart" },
    svg("line", { x1: pad.left, x2: width - pad.right, y1: height - pad.bottom, y2: height - pad.bottom, class: "axis" }));
  bars.forEach((b, i) => {
    const h = (b.value / max) * plot;
    const x = pad.left + i * slot + (slot - barWidth) / 2;
    const y = height - pad.bottom - h;
    chart.append(svg("rect", { x, y, width: barWidth, height: Math.max(h, b.value ? 1 : 0), class: "bar", rx: 2 }, svg("title", {}, `${b.label}: ${b.text ?? b.value}`)));
    if (b.value) chart.append(svg("text", { x: x + barWidth / 2, y: y - 4, "text-anchor": "middle", class: "value" }, b.text ?? b.value));
    const every = Math.ceil(bars.length / 8); // a label under every bar of a histogram
    if (i % every === 0) chart.append(svg("text", { x: x + barWidth / 2, y: height - pad.bottom + 14, "text-anchor": "middle", class: "label" }, b.label));
  });
  return el("figure", { class: "chart-figure" }, el("figcaption", {}, title), chart,
    dataTable(title, headers, bars.map((b) => [b.label, String(b.text ?? b.value)])));
}

/** rates: [{label, ratio, text, note}] — horizontal bars from 0 to 100 %. */
export function rateChart(title, rates) {
  const width = 360;
  const row = 44;
  const height = rates.length * row + 8;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${title}: ${rates.map((r) => `${r.label} ${r.text}`).join(", ")}`, class: "chart" });
  rates.forEach((r, i) => {
    const y = i * row + 4;
    chart.append(svg("text", { x: 0, y: y + 13, class: "label-left" }, `${r.label} — ${r.text}`));
    chart.append(svg("rect", { x: 0, y: y + 20, width, height: 14, rx: 3, class: "track" }));
    chart.append(svg("rect", { x: 0, y: y + 20, width: Math.max(0, Math.min(1, r.ratio || 0)) * width, height: 14, rx: 3, class: "bar" }));
  });
  return el("figure", { class: "chart-figure" }, el("figcaption", {}, title), chart,
    dataTable(title, ["", "%"], rates.map((r) => [r.label, r.text])));
}
