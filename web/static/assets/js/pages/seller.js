// The seller centre: apply to sell, register a limited edition (signed in the browser),
// create a raffle (the draw secret is generated and kept here; only its commitment goes
// on the ledger), and, read from the ledger through the node (so the same in any
// browser): my products and their pieces (the search index filtered by seller), my
// raffles with their entrant counts and a cancel button before they close (raffles by
// seller), my sales (my orders).

import { errorMessage, t, won } from "../i18n.js";
import { rpc } from "../rpc.js";
import { add, busy, field, fill, h, input, status } from "../ui.js";
import { remember, session, signAndSubmit, token } from "../session.js";
import { raffleCommitment } from "../ledger.js";
import { toHex } from "../borsh.js";
import { randomBytes } from "../wallet.js";
import { flash, go } from "../nav.js";
import { genesisParams, missedRevealsNotice, phaseText, windowText } from "./common.js";
import { ACCEPTED_TYPES, MAX_IMAGES, thumbUrl, uploadImage } from "../images.js";
import {
  ADULT_AGE, checkRaffleSettings, MAX_PAYMENT_WINDOW_MS, MAX_REVEAL_BLOCKS, MAX_RUNNERS_UP, minEntryMinutes, raffleDefaults,
} from "../raffle-rules.js";
import { cancelRaffleButton } from "./seller-actions.js";

function form(id, children, onSubmit) {
  const el = h(`form#${id}.panel`, children);
  el.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit(el);
  });
  return el;
}

function applyForm() {
  const shop = input({ name: "shop_name", maxlength: "80" });
  const statusEl = h("div", { "aria-live": "polite" });
  const button = h("button.primary", { type: "submit" }, t("seller.apply"));
  return form("apply-form", [h("h2", t("seller.apply")), field(t("seller.shopName"), shop, { required: true }), statusEl, button], async () => {
    try {
      await busy(button, statusEl, () => signAndSubmit({ apply_seller: { shop_name: shop.value.trim() } }), t("wallet.signing"));
      flash(t("seller.applied"));
      go("/seller");
    } catch {
      // Shown by busy().
    }
  });
}

function registerForm(onRegistered) {
  const brand = input({ name: "brand" });
  const model = input({ name: "model" });
  const nameKo = input({ name: "name_ko", lang: "ko" });
  const nameEn = input({ name: "name_en", lang: "en" });
  const category = input({ name: "category", list: "seller-categories" });
  const release = input({ type: "date", name: "release_date" });
  const price = input({ type: "number", name: "price", min: "1", inputmode: "numeric" });
  const description = h("textarea", { name: "description", rows: "3" });
  const serials = h("textarea", { name: "serials", rows: "4", spellcheck: "false" });
  const uploads = imageUploader();
  const list = h("input#list-for-sale", { type: "checkbox", name: "list_for_sale" });
  const statusEl = h("div", { "aria-live": "polite" });
  const button = h("button.primary", { type: "submit" }, t("seller.register"));
  return form("register-form", [
    h("h2", t("seller.register")),
    h("div.grid",
      field(t("seller.brand"), brand, { required: true }), field(t("seller.model"), model, { required: true }),
      field(t("seller.nameKo"), nameKo, { required: true }), field(t("seller.nameEn"), nameEn),
      field(t("seller.category"), category, { required: true }),
      h("datalist#seller-categories", ["sneakers", "streetwear", "watches", "bags", "whisky", "toys", "cards", "figures", "kpop", "games"].map((c) => h("option", { value: c }))),
      field(t("seller.releaseDate"), release, { required: true }), field(t("seller.price"), price, { required: true })),
    field(t("seller.description"), description),
    field(t("seller.serials"), serials, { required: true }),
    field(t("seller.images"), uploads.input, { hint: t("seller.imagesHint") }),
    uploads.list,
    h("div.field.check", list, h("label", { for: "list-for-sale" }, t("seller.listForSale"))),
    statusEl, button,
  ], async () => {
    try {
      const receipt = await busy(button, statusEl, async () => {
        const imageHashes = await uploads.hashes();
        const spec = {
          brand: brand.value.trim(), model: model.value.trim(), name_ko: nameKo.value.trim(),
          name_en: nameEn.value.trim(), category: category.value.trim(),
          release_date: Number(release.value.replaceAll("-", "")), price: Number(price.value),
          description: description.value.trim(), image_hashes: imageHashes,
          serials: serials.value.split("\n").map((s) => s.trim()).filter(Boolean),
          list_for_sale: list.checked,
        };
        return signAndSubmit({ register_product: spec }, "product_register");
      }, t("wallet.signing"));
      fill(statusEl, status("ok", t("seller.registered", { id: receipt.product, n: receipt.items.length })),
        h("p", h("a", { href: `#/product/${receipt.product}` }, `${nameKo.value.trim()} (#${receipt.product})`)));
      onRegistered(receipt);
    } catch {
      // Shown by busy().
    }
  });
}

/**
 * The images of a registration: each file chosen is uploaded at once (the node strips
 * its metadata and keeps it on every validator) and shown as its thumbnail; the
 * registration names the stored images' hashes, in the order chosen.
 */
function imageUploader() {
  const input = h("input#register-images", { type: "file", name: "images", accept: ACCEPTED_TYPES.join(","), multiple: true });
  const list = h("ul.uploads#uploads", { "aria-live": "polite" });
  const entries = [];
  input.addEventListener("change", () => {
    for (const file of input.files) {
      if (entries.length >= MAX_IMAGES) {
        list.append(h("li.upload.error", status("error", t("seller.imagesTooMany", { n: MAX_IMAGES }))));
        break;
      }
      const row = h("li.upload", { "data-state": "uploading" }, h("span.upload-name", file.name), " ",
        h("span.upload-state", t("seller.imageUploading")));
      list.append(row);
      const entry = { row, promise: null, hash: null };
      entry.promise = uploadImage(file).then((uploaded) => {
        entry.hash = uploaded.hash;
        row.dataset.state = "uploaded";
        row.dataset.hash = uploaded.hash;
        const remove = h("button.link.small", { type: "button" }, t("seller.imageRemove"));
        remove.addEventListener("click", () => {
          entries.splice(entries.indexOf(entry), 1);
          row.remove();
        });
        fill(row, h("img", { src: thumbUrl(uploaded.hash), alt: "", width: "64", height: "64" }),
          h("span.upload-name", file.name), " ",
          h("span.upload-state", t("seller.imageUploaded", { w: uploaded.image.width, h: uploaded.image.height })),
          " ", remove);
      }, (error) => {
        entries.splice(entries.indexOf(entry), 1);
        row.dataset.state = "error";
        fill(row, h("span.upload-name", file.name), " ", status("error", error.message));
      });
      entries.push(entry);
    }
    input.value = "";
  });
  return {
    input,
    list,
    /** The hashes of the uploaded images, once every upload in flight is done. */
    async hashes() {
      await Promise.all(entries.map((e) => e.promise));
      return entries.filter((e) => e.hash).map((e) => e.hash);
    },
  };
}

function raffleForm(onCreated, params) {
  // Every setting of `RaffleSpec`, checked against the ledger's limits and the chain's
  // genesis minimums before signing (raffle-rules.js), so a refusal names the field.
  const defaults = raffleDefaults(params);
  const items = input({ name: "items", inputmode: "numeric", placeholder: "12, 13" });
  const minutes = input({ type: "number", name: "minutes", min: String(minEntryMinutes(params)), step: "0.5", value: String(defaults.minutes), inputmode: "decimal" });
  const price = input({ type: "number", name: "price", min: "1", inputmode: "numeric" });
  const runners = input({ type: "number", name: "runners_up", min: "0", max: String(MAX_RUNNERS_UP), value: String(defaults.runners_up) });
  const minAge = input({ type: "number", name: "min_age", min: "1", max: String(ADULT_AGE) });
  const revealBlocks = input({ type: "number", name: "reveal_blocks", min: String(params.min_raffle_reveal_blocks), max: String(MAX_REVEAL_BLOCKS), value: String(defaults.reveal_blocks) });
  const paymentHours = input({ type: "number", name: "payment_hours", min: "0.02", max: String(MAX_PAYMENT_WINDOW_MS / 3_600_000), step: "any", value: String(defaults.payment_hours) });
  const controls = { items, minutes, price, runners_up: runners, min_age: minAge, reveal_blocks: revealBlocks, payment_hours: paymentHours };
  const statusEl = h("div", { "aria-live": "polite" });
  const button = h("button.primary", { type: "submit" }, t("seller.createRaffle"));
  const el = form("raffle-form", [
    h("h2", t("seller.createRaffle")),
    h("div.grid",
      field(t("seller.raffleItems"), items, { required: true }), field(t("seller.raffleMinutes"), minutes, { required: true }),
      field(t("seller.rafflePrice"), price, { required: true }), field(t("seller.runnersUp"), runners),
      field(`${t("seller.minAge")}`, minAge),
      field(t("seller.revealBlocks"), revealBlocks, { required: true }), field(t("seller.paymentHours"), paymentHours, { required: true })),
    h("p.small#raffle-minimums", { "data-min-entry-ms": String(params.min_raffle_entry_ms), "data-min-reveal-blocks": String(params.min_raffle_reveal_blocks) },
      t("seller.raffleLimits", {
        s: Math.round(params.min_raffle_entry_ms / 1000), minReveal: params.min_raffle_reveal_blocks, maxReveal: MAX_REVEAL_BLOCKS,
        revealMin: Math.round(params.min_raffle_reveal_ms / 60_000), maxPayHours: MAX_PAYMENT_WINDOW_MS / 3_600_000,
        maxRunners: MAX_RUNNERS_UP, adult: ADULT_AGE,
      })),
    h("p.small", t("seller.raffleVoidRule", { days: Math.round(params.missed_reveal_cooldown_ms / 86_400_000 * 10) / 10 })),
    statusEl, button,
  ], async () => {
    for (const control of Object.values(controls)) control.removeAttribute("aria-invalid");
    for (const old of el.querySelectorAll(".field-error")) old.remove();
    const values = Object.fromEntries(Object.entries(controls).map(([name, control]) => [name, control.value]));
    const { spec: checked, problems } = checkRaffleSettings(values, params);
    if (problems.length) {
      for (const p of problems) {
        const control = controls[p.field];
        control.setAttribute("aria-invalid", "true");
        control.insertAdjacentElement("afterend", h("p.field-error", { "data-field": p.field }, t(p.key, p.vars)));
      }
      fill(statusEl, status("error", t("seller.fixErrors")));
      controls[problems[0].field].focus();
      return;
    }
    try {
      const secret = randomBytes(32);
      const effect = await busy(button, statusEl, () => {
        const now = Date.now();
        const spec = {
          items: checked.items,
          // Opens a minute back so that the next block's time (the leader's clock) is inside.
          window: { by: "times", opens_ms: now - 60_000, closes_ms: now + checked.entry_ms },
          price: checked.price, runners_up: checked.runners_up, min_age: checked.min_age,
          seed_commitment: toHex(raffleCommitment(secret)),
          reveal_blocks: checked.reveal_blocks, payment_window_ms: checked.payment_window_ms,
        };
        return signAndSubmit({ create_raffle: spec });
      }, t("wallet.signing"));
      const raffleId = effect.effect.raffle;
      remember("raffle-secrets", raffleId, toHex(secret));
      fill(statusEl, status("ok", t("seller.raffleCreated", { id: raffleId })),
        h("p", h("a#new-raffle", { href: `#/raffle/${raffleId}` }, t("raffle.title", { id: raffleId }))));
      onCreated();
    } catch {
      // Shown by busy().
    }
  });
  // The checks above say what is wrong in the page's language; the browser's own
  // constraint bubbles would stop the submit before them.
  el.noValidate = true;
  el.setItems = (ids) => { items.value = ids.join(", "); };
  return el;
}

/** My products from the node's search index, filtered by seller (the ledger's record). */
async function loadProducts(products, account) {
  const results = await rpc("product_search", [{ text: "", filters: { seller: account }, sort: "newest", page: 1, page_size: 100 }]);
  const rows = results.hits.map((hit) => {
    const p = hit.product;
    return h("li.row-card", { "data-product": String(p.product_id) },
      h("p.row-head", h("a", { href: `#/product/${p.product_id}` }, `${p.brand} ${p.name_ko || p.name_en} (#${p.product_id})`),
        p.has_open_raffle ? h("span.badge", t("seller.openRaffle")) : null),
      h("p.small.pieces-line", t("seller.productLine", { n: p.edition_size, available: p.available, sold: p.sold }), " · ",
        h("a", { href: `#/product/${p.product_id}` }, t("seller.pieces"))));
  });
  fill(products, h("h2#my-products-title", t("seller.myProducts")), h("p.small", t("seller.productsHelp")),
    rows.length ? h("ul.rows", rows) : h("p.empty", t("common.none")));
}

/** My raffles from the node (`raffle_list` by seller), with entrant counts and cancelling. */
async function loadRaffles(mine, account, reload) {
  const page = await rpc("raffle_list", [null, { page: 1, page_size: 100 }, account]);
  const rows = page.items.map((r) => {
    const statusEl = h("div", { "aria-live": "polite" });
    return h("li.row-card", { "data-raffle": String(r.id) },
      h("p.row-head", h("a", { href: `#/raffle/${r.id}` }, t("raffle.title", { id: r.id })),
        h("span.badge.phase", { "data-phase": r.phase }, phaseText(r)),
        h("strong.entrants", t("seller.raffleEntrants", { n: r.entry_count }))),
      h("p.small", windowText(r.spec.window)),
      r.status === "cancelled" && r.cancellation ? h("p.small", t("raffle.cancelledNotice", { reason: r.cancellation.reason })) : null,
      h("p.actions", cancelRaffleButton(r, statusEl, reload)), statusEl);
  });
  fill(mine, h("h2#my-raffles-title", t("seller.myRaffles")), rows.length ? h("ul.rows", rows) : h("p.empty", t("common.none")));
}

export async function renderSeller(main) {
  if (!session()) {
    go("/login");
    return;
  }
  const account = session().account;
  const standing = await rpc("seller_get", [account]);
  add(main, h("h1", t("seller.title")));
  const state = standing.seller.state;
  if (state === "none") {
    add(main, applyForm());
    return;
  }
  if (state === "applied") {
    add(main, status("info", t("seller.pending")));
    return;
  }
  if (state === "revoked") {
    add(main, status("error", t("seller.revoked")));
    return;
  }
  add(main, status("ok", t("seller.approved", { shop: standing.seller.shop_name })), missedRevealsNotice(standing),
    h("p.small.help#seller-help", t("seller.help")));
  const mine = h("section.panel#my-raffles", { "aria-labelledby": "my-raffles-title" });
  const products = h("section.panel#my-products", { "aria-labelledby": "my-products-title" });
  const sales = h("section.panel#sales", { "aria-labelledby": "sales-title" });
  const loadLists = () => Promise.all([
    loadProducts(products, account)
      .catch((e) => fill(products, h("h2#my-products-title", t("seller.myProducts")), status("error", errorMessage(e)))),
    loadRaffles(mine, account, () => loadLists())
      .catch((e) => fill(mine, h("h2#my-raffles-title", t("seller.myRaffles")), status("error", errorMessage(e)))),
    rpc("payment_history", [token(), { page: 1, page_size: 100 }]).then((page) => {
      const sold = page.items.filter((e) => e.role === "seller");
      fill(sales, h("h2#sales-title", t("seller.sales")), sold.length
        ? h("ul.rows", sold.map((e) => h("li.row-card",
          h("p.row-head", h("span.badge.pay-state", { "data-status": e.status }, t(`pay.status.${e.status}`)), h("strong.amount", won(e.amount))),
          h("p", e.item ? h("a", { href: `#/item/${e.item.id}` }, `${e.item.brand} ${e.item.name} #${e.item.edition}/${e.item.edition_size}`) : `#${e.order}`),
          e.payment ? h("p.small", e.payment.provider) : null)))
        : h("p.empty", t("seller.noSales")));
    }).catch((e) => fill(sales, h("h2#sales-title", t("seller.sales")), status("error", errorMessage(e)))),
  ]);
  const raffle = raffleForm(() => loadLists(), await genesisParams());
  add(main, registerForm((receipt) => {
    raffle.setItems(receipt.items.slice(0, 1));
    loadLists();
  }), raffle, mine, products, sales);
  await loadLists();
}
