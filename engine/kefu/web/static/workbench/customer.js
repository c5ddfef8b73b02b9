// The right column: what the business systems know about the conversation's customer
// (CustomerContext.sections: profile, orders, shipments, payments...), masked fields with an
// unmask request, and the one-click actions (refund, coupon, flag order) with confirmation.
//
// Endpoints (see docs/web.md): POST /integration/conversations/{id}/customer (tie the chat to
// a customer), GET /integration/customers/{id}/context, POST /integration/actions, and
// POST /api/unmask. Any of them missing shows a "not available" note instead.
//
// Unmasking: the server answers POST /api/unmask with a grant, never the value. While an
// approved grant runs, the server itself sends that field in clear in this agent's context,
// so the panel re-reads the context after the grant and again when it expires.

import { api } from "../shared/api.js";
import { ask } from "../shared/dialog.js";
import { el, newId, replace } from "../shared/dom.js";
import { clock, dateTime, money } from "../shared/format.js";

const MASKED = /\*{3,}|•{3,}/;
const LINKS_KEY = "kefu.customer-links";

function links() {
  try {
    return JSON.parse(sessionStorage.getItem(LINKS_KEY) || "{}");
  } catch {
    return {};
  }
}

function remember(conversationId, customerId) {
  sessionStorage.setItem(LINKS_KEY, JSON.stringify({ ...links(), [conversationId]: customerId }));
}
const KNOWN = ["profile", "orders", "shipments", "payments"];
const MIN_REASON = 5; // characters, as POST /api/unmask requires
const EXPIRY_MARGIN_MS = 500; // re-read a little after the end, once the server masks again

export class CustomerPanel {
  constructor(root, t, toast) {
    this.root = root;
    this.t = t;
    this.toast = toast;
    this.conversationId = null;
    this.context = null;
    this.state = "idle";
    this.results = [];
    // "customer_id path" -> {until (local ms, for the timer), expiresAt (server time)}. Kept
    // across conversations: the server shows the field to this agent for that customer.
    this.grants = new Map();
  }

  async load(conversationId) {
    if (conversationId === this.conversationId && this.state !== "error") return this.render();
    this.conversationId = conversationId;
    this.context = null;
    this.results = [];
    this.state = conversationId ? "loading" : "idle";
    this.render();
    if (!conversationId) return undefined;
    const known = links()[conversationId] || (await this.linkedCustomer(conversationId));
    if (!known) {
      this.state = "unlinked";
      return this.render();
    }
    return this.fetchContext(known);
  }

  async linkedCustomer(conversationId) {
    try {
      const conversation = await api(`/api/conversations/${encodeURIComponent(conversationId)}`);
      return conversation.customer_id || null;
    } catch {
      return null;
    }
  }

  /** Reads the customer context; `quiet` keeps the current view until the answer arrives. */
  async fetchContext(customerId, { quiet = false } = {}) {
    const conversationId = this.conversationId;
    if (!quiet) {
      this.state = "loading";
      this.render();
    }
    let state;
    try {
      this.context = await api(`/integration/customers/${encodeURIComponent(customerId)}/context`);
      state = "ready";
    } catch (exc) {
      if (exc.unavailable) state = "unavailable";
      else if (exc.status === 503) state = "disabled";
      else {
        state = "error";
        this.error = exc.message;
      }
    }
    if (conversationId !== this.conversationId) return; // the agent moved on meanwhile
    this.state = state;
    this.render();
  }

  /** Ties the conversation to a customer of the business systems, then shows them. */
  async link(customerId) {
    const conversationId = this.conversationId;
    try {
      await api(`/integration/conversations/${encodeURIComponent(conversationId)}/customer`, { method: "POST", body: { customer_id: customerId } });
    } catch (exc) {
      // Without the link there are no event hints, but the context can still be read.
      if (!exc.unavailable && exc.status !== 503) {
        this.toast(`${this.t("error")}: ${exc.message}`);
        return;
      }
    }
    remember(conversationId, customerId);
    await this.fetchContext(customerId);
  }

  linkForm() {
    const t = this.t;
    const input = el("input", { id: "customer-id", name: "customer_id", required: true, maxlength: 128, autocomplete: "off" });
    return el("form", { class: "link-form", on: { submit: (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (value) this.link(value);
    } } },
    el("p", { class: "muted" }, t("customerNone")),
    el("label", { for: "customer-id" }, t("customerId")), input,
    el("button", { type: "submit" }, t("showCustomer")));
  }

  /** An action's outcome pushed by the server (event "action_result"). */
  pushed(data) {
    this.result({ key: data.idempotency_key, kind: data.kind, ok: data.ok ?? data.status === "succeeded", detail: data.detail || "" });
  }

  // The HTTP answer and the pushed event report the same action: show it once, by its key.
  result(entry) {
    const index = entry.key ? this.results.findIndex((r) => r.key === entry.key) : -1;
    if (index >= 0) this.results[index] = entry;
    else this.results.unshift(entry);
    this.render();
  }

  render() {
    const t = this.t;
    const heading = el("h2", { id: "customer-title" }, t("customer"));
    if (this.state === "idle") return replace(this.root, heading);
    if (this.state === "loading") return replace(this.root, heading, el("p", { class: "muted" }, t("customerLoading")));
    if (this.state === "unavailable") return replace(this.root, heading, el("p", { class: "unavailable" }, t("customerUnavailable")));
    if (this.state === "error") return replace(this.root, heading, el("p", { class: "error" }, `${t("error")}: ${this.error}`));
    if (this.state === "unlinked") return replace(this.root, heading, this.linkForm());
    if (this.state === "disabled") return replace(this.root, heading, el("p", { class: "unavailable" }, t("customerDisabled")));
    const { sections = {}, degraded = [] } = this.context;
    const parts = [heading];
    if (degraded.length) parts.push(el("p", { class: "notice-warn" }, t("degraded", { sources: degraded.join(", ") })));
    if (sections.profile) parts.push(this.profile(sections.profile));
    parts.push(this.orders(sections.orders || []));
    if (sections.shipments) parts.push(this.items("shipments", sections.shipments, ["id", "order_id", "carrier", "tracking", "status", "expected_at"]));
    parts.push(this.items("payments", sections.payments || [], ["id", "order_id", "method", "card_last4", "amount_cents", "status", "paid_at"]));
    for (const [name, value] of Object.entries(sections)) {
      if (KNOWN.includes(name)) continue;
      parts.push(Array.isArray(value) ? this.items(name, value, Object.keys(value[0] || {})) : this.profile(value, name));
    }
    parts.push(el("section", { class: "panel-actions" }, el("h3", {}, t("actions")),
      el("button", { type: "button", on: { click: () => this.coupon() } }, t("coupon")),
      this.results.length ? el("ul", { class: "results", role: "status", "aria-live": "polite" }, this.results.map((r) =>
        el("li", { class: r.ok ? "ok" : "bad" }, t(r.ok ? "actionOk" : "actionFailed", { kind: t(r.kind) === r.kind ? r.kind : t(r.kind), detail: r.detail })))) : null));
    return replace(this.root, ...parts);
  }

  currency(row) {
    if (row && row.currency) return row.currency;
    const order = row && row.order_id ? (this.context.sections.orders || []).find((o) => o.id === row.order_id) : null;
    return (order && order.currency) || "CNY";
  }

  /** One field for display: masked ones get an Unmask button, granted ones their end time. */
  value(section, field, raw, row = null) {
    if (typeof raw === "string" && MASKED.test(raw)) {
      return el("span", {}, raw, " ", el("button", { type: "button", class: "small", "aria-label": `${this.t("unmask")}: ${field}`, on: { click: () => this.unmask(section, field) } }, this.t("unmask")));
    }
    const shown = this.display(field, raw, row);
    const grant = this.grant(`${section}.${field}`);
    if (!grant) return shown;
    return el("span", { class: "unmasked" }, shown, " ", el("small", { class: "muted" }, this.t("unmaskedUntil", { time: clock(grant.expiresAt, this.t.lang()) })));
  }

  display(field, raw, row) {
    if (raw === null || raw === undefined || raw === "") return "—";
    if (typeof raw === "boolean") return raw ? "✓" : "—";
    if (typeof raw === "object") return JSON.stringify(raw);
    if (field.endsWith("_cents")) return money(raw, this.currency(row), this.t.lang());
    if (field.endsWith("_at")) return dateTime(raw, this.t.lang());
    return String(raw);
  }

  /** The running grant on `path` of the shown customer, or null. */
  grant(path) {
    const grant = this.grants.get(`${this.context?.customer_id} ${path}`);
    return grant && grant.until > Date.now() ? grant : null;
  }

  profile(profile, name = "profile") {
    return el("section", {}, el("h3", {}, this.t(name)), el("dl", { class: "kv" }, Object.entries(profile).map(([k, v]) => [el("dt", {}, k), el("dd", {}, this.value(name, k, v))])));
  }

  orders(orders) {
    const t = this.t;
    const cards = orders.map((o) => el("article", { class: "order card", dataset: { order: String(o.id) } },
      el("header", {}, el("strong", {}, `${t("order")} ${o.id}`), " ", el("span", { class: "badge" }, o.status || ""), o.flagged ? el("span", { class: "badge bad" }, t("flagged")) : null),
      el("dl", { class: "kv" },
        el("dt", {}, t("total")), el("dd", {}, money(o.total_cents, o.currency || "CNY", t.lang())),
        el("dt", {}, t("placed")), el("dd", {}, dateTime(o.placed_at, t.lang())),
        o.carrier || o.shipment_status ? [el("dt", {}, t("shipment")), el("dd", {}, [o.carrier, o.tracking, o.shipment_status].filter(Boolean).join(" · "))] : null,
        o.expected_at ? [el("dt", {}, t("expected")), el("dd", {}, dateTime(o.expected_at, t.lang()))] : null,
        Object.entries(o).filter(([k, v]) => typeof v === "string" && MASKED.test(v)).map(([k, v]) => [el("dt", {}, k), el("dd", {}, this.value("orders", k, v))])),
      el("div", { class: "order-actions" },
        el("button", { type: "button", class: "small", on: { click: () => this.refund(o) } }, t("refund")),
        el("button", { type: "button", class: "small", on: { click: () => this.flag(o) } }, t("flag")))));
    return el("section", {}, el("h3", {}, t("orders")), cards.length ? cards : el("p", { class: "muted" }, t("noItems")));
  }

  label(field) {
    const t = this.t;
    const known = { order_id: t("order"), method: t("method"), card_last4: t("card"), amount_cents: t("amount"), status: t("statusCol"), paid_at: t("paid"), expected_at: t("expected"), carrier: t("shipment") };
    return known[field] || field;
  }

  /** A list section (payments, shipments, anything else) as small cards: the panel is narrow. */
  items(name, rows, columns) {
    const t = this.t;
    const cards = rows.map((row) => el("article", { class: "item card" }, el("dl", { class: "kv" },
      columns.filter((c) => row[c] !== undefined).map((c) => [el("dt", {}, this.label(c)), el("dd", {}, this.value(name, c, row[c], row))]))));
    return el("section", {}, el("h3", {}, t(name)), cards.length ? cards : el("p", { class: "muted" }, t("noItems")));
  }

  /**
   * Asks the server to show `section.field` (list indexes omitted, as the server names
   * fields) in clear; an approved grant shows it after re-reading the context.
   */
  async unmask(section, field) {
    const t = this.t;
    const customerId = this.context.customer_id;
    const answer = await ask({
      title: t("unmaskTitle", { field }), message: t("unmaskMessage"), confirm: t("unmask"), cancel: t("cancel"),
      fields: [{ name: "reason", label: t("unmaskReason"), type: "textarea", required: true, maxlength: 400 }],
    });
    if (!answer) return;
    const reason = answer.reason.trim();
    if (reason.length < MIN_REASON) {
      this.toast(t("unmaskReasonShort", { n: MIN_REASON }));
      return;
    }
    let grant;
    try {
      grant = await api("/api/unmask", { method: "POST", body: { customer_id: customerId, field: `${section}.${field}`, reason } });
    } catch (exc) {
      this.toast(exc.unavailable ? t("unmaskUnavailable") : `${t("error")}: ${exc.message}`);
      return;
    }
    if (grant.status !== "approved") {
      this.toast(t("unmaskPending"));
      return;
    }
    // The grant's length by the server's own clock, so a skewed local clock cannot keep a
    // value on screen after the server masks it again.
    const ttl = Math.max(0, Date.parse(grant.expires_at) - Date.parse(grant.created_at)) || 0;
    const until = Date.now() + ttl;
    this.grants.set(`${customerId} ${grant.field}`, { until, expiresAt: grant.expires_at });
    setTimeout(() => this.expired(customerId), ttl + EXPIRY_MARGIN_MS);
    if (this.context?.customer_id === customerId) await this.fetchContext(customerId, { quiet: true });
  }

  /** A grant ran out: forget it and re-read the context, which the server masks again. */
  expired(customerId) {
    const now = Date.now();
    for (const [key, grant] of this.grants) if (grant.until <= now) this.grants.delete(key);
    if (this.state === "ready" && this.context?.customer_id === customerId) this.fetchContext(customerId, { quiet: true });
  }

  refund(order) {
    const t = this.t;
    return this.act("refund", t("refundTitle", { id: order.id }), [
      { name: "amount", label: t("amountYuan"), type: "number", min: "0.01", step: "0.01", required: true, value: order.total_cents ? (order.total_cents / 100).toFixed(2) : "" },
      { name: "reason", label: t("reason"), type: "textarea", maxlength: 400 },
    ], (v) => ({ order_id: String(order.id), amount_cents: Math.round(Number(v.amount) * 100), reason: v.reason }));
  }

  coupon() {
    const t = this.t;
    return this.act("issue_coupon", t("couponTitle"), [
      { name: "value", label: t("valueYuan"), type: "number", min: "0.01", step: "0.01", required: true, value: "10.00" },
      { name: "days", label: t("daysValid"), type: "number", min: "1", step: "1", required: true, value: "30" },
      { name: "reason", label: t("reason"), type: "textarea", maxlength: 400 },
    ], (v) => ({ value_cents: Math.round(Number(v.value) * 100), days_valid: Number(v.days), reason: v.reason }));
  }

  flag(order) {
    const t = this.t;
    return this.act("flag_order", t("flagTitle", { id: order.id }), [
      { name: "reason", label: t("reason"), type: "textarea", required: true, maxlength: 400 },
    ], (v) => ({ order_id: String(order.id), reason: v.reason }));
  }

  async act(kind, title, fields, params) {
    const t = this.t;
    const answer = await ask({ title, message: t("actionConfirm"), fields, confirm: t("confirm"), cancel: t("cancel") });
    if (!answer) return;
    const key = `wb-${newId()}`;
    try {
      const outcome = await api("/integration/actions", {
        method: "POST",
        body: { kind, customer_id: this.context.customer_id, params: params(answer), idempotency_key: key, conversation_id: this.conversationId },
      });
      this.result({ key, kind, ok: outcome.ok, detail: outcome.detail });
      // A done action changed the customer (flag, refund status...): show the new state.
      if (outcome.ok && this.context) await this.fetchContext(this.context.customer_id, { quiet: true });
    } catch (exc) {
      // A 404 without an error code is the route itself missing, not a refused action.
      const detail = exc.unavailable && !exc.body?.error ? t("actionsUnavailable") : exc.body?.detail || exc.message;
      this.result({ key, kind, ok: false, detail });
    }
  }
}
