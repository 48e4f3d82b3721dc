// Small DOM helpers. Text always goes in as text nodes (never as HTML), so nothing a
// node or another member wrote can inject markup.

import { errorMessage, t } from "./i18n.js";

/** h("tag.class#id", { attrs, on: { click } }, ...children) */
export function h(spec, attrs = {}, ...children) {
  const match = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
  const el = document.createElement(match[1] || "div");
  for (const part of match[2].match(/[.#][\w-]+/g) || []) {
    if (part[0] === ".") el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs === null || typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "on") {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (name === "class") {
      el.className += ` ${value}`;
    } else if (name in el && typeof value !== "string") {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children, skipping null/undefined/false (unlike Element.append). */
export function add(el, ...children) {
  append(el, children);
  return el;
}

/** Replaces an element's children, skipping null/undefined/false (unlike replaceChildren). */
export function fill(el, ...children) {
  el.textContent = "";
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let fieldCounter = 0;

/** A labelled form field: h("label") + input/select/textarea, with an optional hint. */
export function field(label, control, { hint, required } = {}) {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  if (required) control.required = true;
  const hintEl = hint ? h("p.hint", { id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div.field",
    h("label", { for: id }, label, required ? h("span.req", { "aria-hidden": "true" }, " *") : null),
    control, hintEl);
}

export function input(attrs = {}) {
  return h("input", { type: "text", ...attrs });
}

export function select(name, options, value) {
  return h("select", { name },
    options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
}

/** A status line that screen readers announce; kinds: info, ok, error. */
export function status(kind, text) {
  return h(`p.status.${kind}`, { role: kind === "error" ? "alert" : "status" }, text);
}

export function showError(container, error) {
  fill(container, status("error", errorMessage(error)));
}

/** Runs `action` with the button disabled and a live status; shows errors clearly. */
export async function busy(button, statusEl, action, workingText = t("common.loading")) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  fill(statusEl, status("info", workingText));
  try {
    const result = await action();
    return result;
  } catch (error) {
    fill(statusEl, status("error", errorMessage(error)));
    throw error;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

export function shortKey(hex) {
  return hex ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : "";
}

/** Search highlights come HTML-escaped with <mark> around matches: rebuild them as nodes. */
export function highlighted(text) {
  const out = [];
  const parts = String(text).split(/(<mark>|<\/mark>)/);
  let marked = false;
  const decode = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"")
    .replace(/&#39;/g, "'").replace(/&#x27;/g, "'").replace(/&amp;/g, "&");
  for (const part of parts) {
    if (part === "<mark>") marked = true;
    else if (part === "</mark>") marked = false;
    else if (part) out.push(marked ? h("mark", decode(part)) : decode(part));
  }
  return out;
}

/** A modal dialog; resolves with the submitted form's values, or null when cancelled. */
export function dialog(title, note, fields, submitLabel) {
  return new Promise((resolve) => {
    const statusEl = h("div.dialog-status", { "aria-live": "polite" });
    const form = h("form", { method: "dialog" },
      h("h2", { id: "dialog-title" }, title),
      note instanceof Node ? note : note ? h("p", note) : null,
      fields,
      statusEl,
      h("div.actions",
        h("button.secondary", { type: "button", on: { click: () => close(null) } }, t("common.cancel")),
        h("button.primary", { type: "submit" }, submitLabel)));
    const el = h("dialog", { "aria-labelledby": "dialog-title" }, form);
    const close = (value) => {
      el.close();
      el.remove();
      resolve(value);
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(form).entries());
      close(values);
    });
    el.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(null);
    });
    document.body.append(el);
    el.showModal();
    const first = el.querySelector("input");
    if (first) first.focus();
  });
}
