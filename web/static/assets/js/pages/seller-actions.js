// What an owner or a seller does to one piece or one raffle, shared by the seller centre,
// the item page and the raffle page: resale listing (`list_item`) and cancelling a raffle
// before it closes (`cancel_raffle`, with a reason the entrants see).

import { t, won } from "../i18n.js";
import { busy, dialog, field, fill, h, input, status } from "../ui.js";
import { signAndSubmit } from "../session.js";
import { cancellable, checkCancelReason, MAX_CANCEL_REASON_CHARS, MAX_PRICE_WON } from "../raffle-rules.js";

/**
 * The owner's resale panel of a piece (`item` of `product_getItem`): list it at a price,
 * change the price, or take it off sale. `onChanged` runs after the ledger took it.
 */
export function resalePanel(item, onChanged) {
  const panel = h("section.panel#resale", { "aria-labelledby": "resale-title" },
    h("h2#resale-title", t("resale.title")), h("p.small", t("resale.help")));
  if (item.lock.kind !== "free") {
    panel.append(status("info", t("resale.locked")));
    return panel;
  }
  const price = input({
    type: "number", name: "resale_price", id: "resale-price", min: "1", max: String(MAX_PRICE_WON),
    step: "1", inputmode: "numeric", value: item.listing_price ? String(item.listing_price) : "",
  });
  const statusEl = h("div#resale-status", { "aria-live": "polite" });
  if (item.listing_price) fill(statusEl, status("ok", t("resale.listed", { price: won(item.listing_price) })));
  const list = h("button.primary#resale-list", { type: "submit" }, item.listing_price ? t("resale.update") : t("resale.list"));
  const form = h("form#resale-form", field(t("resale.price"), price, { required: true }), statusEl,
    h("p.actions", list, item.listing_price ? unlistButton(item, statusEl, onChanged) : null));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = Number(price.value);
    if (!Number.isInteger(value) || value < 1 || value > MAX_PRICE_WON) {
      fill(statusEl, status("error", t("rules.price", { max: MAX_PRICE_WON })));
      return;
    }
    try {
      await busy(list, statusEl, () => signAndSubmit({ list_item: { item: item.id, price: value } }), t("wallet.signing"));
      fill(statusEl, status("ok", t("resale.listed", { price: won(value) })));
      onChanged();
    } catch {
      // Shown by busy().
    }
  });
  panel.append(form);
  return panel;
}

function unlistButton(item, statusEl, onChanged) {
  const button = h("button.secondary#resale-unlist", { type: "button" }, t("resale.unlist"));
  button.addEventListener("click", async () => {
    try {
      await busy(button, statusEl, () => signAndSubmit({ list_item: { item: item.id, price: null } }), t("wallet.signing"));
      fill(statusEl, status("ok", t("resale.unlisted")));
      onChanged();
    } catch {
      // Shown by busy().
    }
  });
  return button;
}

/**
 * The seller's "cancel raffle" button for a raffle view, or null when it can no longer
 * be cancelled: asks for the reason (shown to the entrants), signs `cancel_raffle`.
 */
export function cancelRaffleButton(raffle, statusEl, onCancelled) {
  if (!cancellable(raffle)) return null;
  const button = h("button.danger.cancel-raffle", { type: "button", "data-raffle": String(raffle.id) }, t("seller.cancelRaffle"));
  button.addEventListener("click", async () => {
    const reason = input({ name: "reason", id: "cancel-reason", maxlength: String(MAX_CANCEL_REASON_CHARS), required: true });
    const values = await dialog(t("seller.cancelTitle", { id: raffle.id }), t("seller.cancelNote"),
      [field(t("seller.cancelReason"), reason, { required: true })], t("seller.cancelRaffle"));
    if (!values) return;
    const problem = checkCancelReason(values.reason);
    if (problem) {
      fill(statusEl, status("error", t(problem)));
      return;
    }
    try {
      await busy(button, statusEl,
        () => signAndSubmit({ cancel_raffle: { raffle: raffle.id, reason: values.reason.trim() } }), t("wallet.signing"));
      fill(statusEl, status("ok", t("seller.cancelled", { id: raffle.id })));
      onCancelled();
    } catch {
      // Shown by busy().
    }
  });
  return button;
}

/** The seller's reason, for a raffle it cancelled (null otherwise). */
export function cancelledNotice(raffle) {
  if (raffle.status !== "cancelled") return null;
  const reason = raffle.cancellation ? raffle.cancellation.reason : "";
  return h("section.panel#raffle-cancelled", { role: "status" },
    status("error", t("raffle.cancelledNotice", { reason })));
}
