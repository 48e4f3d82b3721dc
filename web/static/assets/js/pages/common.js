// Pieces several pages share: product cards, raffle cards, the payment panel.

import { dateTime, lang, t, won } from "../i18n.js";
import { rpc } from "../rpc.js";
import { add, busy, fill, h, status } from "../ui.js";
import { session, token } from "../session.js";
import { GENESIS_PARAM_DEFAULTS } from "../ledger.js";
import { cardThumb } from "../images.js";
import { payWithPortOne, readReturn, tossWidget } from "../pay-sdk.js";

export function productName(p) {
  if (lang() === "en") return p.name_en || p.name_ko;
  return p.name_ko || p.name_en;
}

/**
 * A link card for a product (a search hit's `product`, a recommendation, or a ledger
 * product record), with its first image's thumbnail when it has one.
 */
export function productCard(p, { highlight, reason } = {}) {
  const id = p.product_id ?? p.id;
  const name = highlight ? (lang() === "en" ? highlight.name_en || highlight.name_ko : highlight.name_ko || highlight.name_en) : null;
  const image = p.image ?? (p.image_hashes && p.image_hashes[0]);
  return h("li.card",
    h("a.card-link", { href: `#/product/${id}` },
      cardThumb(image, (p.brand || "?").slice(0, 2).toUpperCase()),
      h("div.card-body",
        h("p.brand", p.brand),
        h("h3.name", name ? highlightNodes(name) : productName(p)),
        h("p.price", won(p.price)),
        h("p.badges",
          p.edition_size ? h("span.badge", t("product.edition", { n: p.edition_size })) : null,
          reason ? h("span.badge.reason", reason) : null,
          p.has_open_raffle ? h("span.badge.raffle", t("product.raffle")) : null,
          p.available ? h("span.badge.ok", t("product.available", { n: p.available })) : null))));
}

let highlightNodes = (text) => text;
export function setHighlighter(fn) {
  highlightNodes = fn;
}

export function cardList(cards, emptyText) {
  if (!cards.length) return h("p.empty", emptyText);
  return h("ul.cards", cards);
}

/** When a raffle's entry window closes, as text. */
export function windowText(window) {
  if (window.by === "times") return `${dateTime(window.opens_ms)} – ${dateTime(window.closes_ms)}`;
  return `${t("common.block", { h: window.opens })} – ${t("common.block", { h: window.closes })}`;
}

/**
 * The chain's parameters from `/genesis.json` (the raffle minimums, ...), with the ledger's
 * defaults for any the file leaves out. Display only: the ledger enforces them.
 */
let chainParams = null;
export async function genesisParams() {
  if (!chainParams) {
    chainParams = fetch("/genesis.json", { cache: "no-cache" })
      .then((response) => response.json())
      .then((spec) => ({ ...GENESIS_PARAM_DEFAULTS, ...spec.params }))
      .catch(() => ({ ...GENESIS_PARAM_DEFAULTS }));
  }
  return chainParams;
}

/**
 * A seller's missed raffle reveals (each voided a raffle) and its cooling period, as a
 * notice; null when it never missed one.
 */
export function missedRevealsNotice(standing) {
  if (!standing || !standing.missed_reveals) return null;
  const until = standing.raffle_cooldown_until_ms;
  return h("p.missed-reveals", { "data-missed": String(standing.missed_reveals) },
    h("span.badge.warn", t("seller.missedReveals", { n: standing.missed_reveals })),
    until ? ` ${t("seller.cooldownUntil", { at: dateTime(until) })}` : null);
}

export function phaseText(raffle) {
  if (raffle.phase) return t(`raffle.phase.${raffle.phase}`);
  return t(`raffle.status.${raffle.status}`);
}

/** A raffle card with its first prize's product. */
export async function raffleCard(raffle) {
  let product = null;
  try {
    product = (await rpc("product_getItem", [raffle.spec.items[0]])).product;
  } catch {
    // Shown without the product's name.
  }
  return h("li.card",
    h("a.card-link", { href: `#/raffle/${raffle.id}` },
      cardThumb(product && product.image_hashes[0], "R", ".raffle"),
      h("div.card-body",
        h("p.brand", product ? product.brand : t("raffle.title", { id: raffle.id })),
        h("h3.name", product ? productName(product) : t("raffle.title", { id: raffle.id })),
        h("p.price", `${t("raffle.price")} ${won(raffle.spec.price)}`),
        h("p.badges",
          h("span.badge.raffle", phaseText(raffle)),
          h("span.badge", t("raffle.entries", { n: raffle.entry_count })),
          raffle.spec.window.by === "times" ? h("span.badge", `${t("raffle.closes")} ${dateTime(raffle.spec.window.closes_ms)}`) : null))));
}

/**
 * The payment of an order: its state, and for the buyer of a pending order a button that
 * opens the provider's checkout (`payment_start`): the sandbox's page in a new tab, or
 * the provider's SDK in this page (PortOne's payment window, Toss' widget); then it
 * follows the order (`order_get`) until it is paid. `returned` holds the parameters a
 * provider sent the browser back with (`?pay=…`, see pay-sdk.js): the panel confirms
 * that payment (`payment_confirm`) or shows why it failed.
 */
export function paymentPanel(orderId, { onPaid, returned } = {}) {
  const box = h("section.panel.pay", { "aria-labelledby": `pay-${orderId}` },
    h("h2", { id: `pay-${orderId}` }, t("pay.order", { id: orderId })));
  const body = h("div");
  const statusEl = h("div", { "aria-live": "polite" });
  add(box, body, statusEl);
  let polling = null;

  const show = (order) => {
    const mine = session() && order.buyer === session().account;
    fill(body, 
      h("dl.facts",
        h("dt", t("pay.amount")), h("dd.amount", won(order.amount)),
        h("dt", t("raffle.status")), h("dd.order-status", { "data-status": order.status }, t(`pay.status.${order.status}`)),
        order.status === "pending" ? [h("dt", t("pay.deadline")), h("dd", dateTime(order.expires_at_ms))] : null,
        order.item_summary ? [h("dt", t("item.title")), h("dd", h("a", { href: `#/item/${order.item}` },
          `${order.item_summary.brand} ${order.item_summary.name} #${order.item_summary.edition}/${order.item_summary.edition_size}`))] : null));
    if (order.status === "paid") {
      fill(statusEl, status("ok", t("pay.paid")));
      if (polling) clearInterval(polling);
      polling = null;
      if (onPaid) onPaid(order);
    } else if (order.status === "pending" && mine) {
      const button = h("button.primary.pay-start", { type: "button" }, t("pay.start"));
      button.addEventListener("click", () => start(button));
      add(body, button);
    }
  };

  const refresh = async () => {
    if (polling && !document.body.contains(box)) {
      clearInterval(polling); // The member left the page.
      polling = null;
      return;
    }
    show(await rpc("order_get", [orderId]));
  };

  const start = async (button) => {
    // Open the tab now, while the click still counts as the user's: browsers block
    // windows opened later. It is pointed at the checkout once the node answers.
    const tab = window.open("", "_blank");
    let checkout;
    try {
      checkout = await busy(button, statusEl, () => rpc("payment_start", [token(), orderId]));
    } catch {
      if (tab) tab.close();
      return;
    }
    const url = checkout.checkout_url;
    const widget = checkout.widget;
    if (!url && widget && (widget.sdk === "portone" || widget.sdk === "toss")) {
      if (tab) tab.close();
      await paySdk(button, widget);
      return;
    }
    if (!url) {
      if (tab) tab.close();
      fill(statusEl, status("error", t("pay.noCheckout")));
      return;
    }
    if (tab) tab.location.href = url;
    fill(statusEl, status("info", t("pay.popup")),
      h("p", h("a", { href: url, target: "_blank", rel: "noopener" }, t("pay.openAgain"))));
    if (!polling) polling = setInterval(() => refresh().catch(() => {}), 1500);
  };

  // The node checks the payment with the provider and settles it.
  const confirm = async (key) => {
    fill(statusEl, status("info", t("pay.confirming")));
    show(await rpc("payment_confirm", [token(), orderId, key]));
  };

  const paySdk = async (button, widget) => {
    try {
      if (widget.sdk === "portone") {
        const paymentId = await busy(button, statusEl, () => payWithPortOne(widget, orderId));
        await confirm(paymentId);
        return;
      }
      const methods = h("div.pay-widget", { id: `pay-methods-${orderId}` });
      const agreement = h("div.pay-agreement", { id: `pay-agreement-${orderId}` });
      const payButton = h("button.primary.pay-request", { type: "button" }, t("pay.request"));
      add(body, methods, agreement, payButton);
      button.remove();
      const pay = await tossWidget(widget, orderId, methods, agreement);
      payButton.addEventListener("click", () => busy(payButton, statusEl, pay).catch(() => {}));
    } catch (error) {
      fill(statusEl, status("error", `${t("pay.failed")} ${error.message}`));
    }
  };

  const back = readReturn(returned);
  const first = back && back.error
    ? refresh().then(() => fill(statusEl, status("error", `${t("pay.failed")} ${back.error}`)))
    : back && back.key
      ? refresh().then(() => confirm(back.key))
      : refresh();
  first.catch((error) => fill(statusEl, status("error", error.message)));
  return box;
}
