// Refunds on the order page: the buyer asks for one with a reason (a signed
// `request_refund`), the seller or an admin approves or refuses it (`decide_refund`),
// and everyone sees where it stands. An approval is carried out by the node's operator:
// the provider refunds the payment, then the ledger records it.

import { errorMessage, t } from "../i18n.js";
import { rpc } from "../rpc.js";
import { add, busy, field, fill, h, shortKey, status } from "../ui.js";
import { me, session, signAndSubmit } from "../session.js";

/** What a refund request's state says to the people of the order. */
export function refundStateText(request) {
  return t(`refund.status.${request.status}`);
}

/** The refund part of an order page; `order` is `order_get`'s answer. */
export function refundPanel(order, { onChange } = {}) {
  const box = h("section.panel.refund#refund", { "aria-labelledby": "refund-title" },
    h("h2#refund-title", t("refund.title")));
  const body = h("div");
  const statusEl = h("div", { "aria-live": "polite" });
  add(box, body, statusEl);
  const viewer = session() && session().account;
  const request = order.refund_request;

  const facts = request ? h("dl.facts",
    h("dt", t("raffle.status")), h("dd.refund-state", { "data-status": request.status }, refundStateText(request)),
    h("dt", t("refund.reason")), h("dd.refund-reason", request.reason),
    request.note ? [h("dt", t("refund.note")), h("dd.refund-note", request.note)] : null,
    request.decided_by ? [h("dt", t("refund.decidedBy")), h("dd", h("code", shortKey(request.decided_by)))] : null)
    : null;
  if (facts) add(body, facts);
  if (request && request.status === "approved") add(body, status("info", t("refund.approvedNote")));

  const changed = () => {
    if (onChange) onChange();
  };

  if (!request && order.status === "paid" && viewer === order.buyer) {
    const reason = h("textarea", { name: "reason", maxlength: "500", rows: "3", required: true });
    const button = h("button.secondary.refund-request", { type: "submit" }, t("refund.request"));
    const form = h("form#refund-form", field(t("refund.reason"), reason, { required: true, hint: t("refund.requestHint") }), button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await busy(button, statusEl, () => signAndSubmit({ request_refund: { order: order.id, reason: reason.value.trim() } }), t("wallet.signing"));
        fill(statusEl, status("ok", t("refund.requested")));
        changed();
      } catch {
        // Shown by busy().
      }
    });
    add(body, form);
  } else if (!request) {
    add(body, h("p.empty", order.status === "refunded" ? t("pay.status.refunded") : t("refund.none")));
  }

  if (request && request.status === "requested" && viewer && viewer !== order.buyer) {
    // The seller decides; so may an admin (the ledger checks which).
    const decide = async () => {
      const member = viewer === order.seller ? null : await me();
      if (viewer !== order.seller && !(member && member.role === "admin")) return;
      const note = h("textarea", { name: "note", maxlength: "500", rows: "2" });
      const approve = h("button.primary.refund-approve", { type: "button" }, t("refund.approve"));
      const refuse = h("button.secondary.refund-refuse", { type: "button" }, t("refund.refuse"));
      const act = (button, yes) => busy(button, statusEl,
        () => signAndSubmit({ decide_refund: { order: order.id, approve: yes, note: note.value.trim() } }), t("wallet.signing"))
        .then(() => changed()).catch(() => {});
      approve.addEventListener("click", () => act(approve, true));
      refuse.addEventListener("click", () => act(refuse, false));
      add(body, h("div.refund-decision", field(`${t("refund.note")} (${t("common.optional")})`, note, { hint: t("refund.decideHint") }),
        h("p.actions", approve, refuse)));
    };
    decide().catch((error) => fill(statusEl, status("error", errorMessage(error))));
  }
  add(box, h("details.help", h("summary", t("help.title")), h("p", t("refund.help"))));
  return box;
}

/** Keeps an order page's refund part current: redrawn after each change, polled while approved. */
export function liveRefundPanel(orderId) {
  const holder = h("div.refund-holder");
  let timer = null;
  const draw = async () => {
    const order = await rpc("order_get", [orderId]);
    fill(holder, refundPanel(order, { onChange: () => draw().catch(() => {}) }));
    const waiting = order.refund_request && order.refund_request.status === "approved";
    if (waiting && !timer) {
      timer = setInterval(() => {
        if (!document.body.contains(holder)) {
          clearInterval(timer);
          timer = null;
          return;
        }
        draw().catch(() => {});
      }, 1500);
    } else if (!waiting && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
  draw().catch((error) => fill(holder, status("error", errorMessage(error))));
  return holder;
}
