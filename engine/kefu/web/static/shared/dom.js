// Builds DOM nodes without ever parsing HTML: every string becomes a text node, so user text
// (messages, names, order fields) can never turn into markup.

/**
 * el("button", {class: "x", on: {click: fn}}, "label", child) -> HTMLButtonElement
 * Attributes go through setAttribute; `on` registers listeners; null/false children are skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "on") {
      for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    } else if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else if (name === "text") {
      node.textContent = String(value);
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

/** Appends children (nodes, strings, numbers, nested arrays) as nodes or text nodes. */
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces every child of `node`. */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** A fresh id for client messages and idempotency keys. */
export function newId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID().replaceAll("-", "");
  return Date.now().toString(36) + Math.random().toString(36).slice(2);
}
