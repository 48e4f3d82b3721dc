// The seller centre: apply to sell, register a limited edition (signed in the browser),
// create a raffle (the draw secret is generated and kept here; only its commitment goes
// on the ledger), see my raffles and sales.

import { errorMessage, t, won } from "../i18n.js";
import { rpc } from "../rpc.js";
import { add, busy, field, fill, h, input, status } from "../ui.js";
import { remember, remembered, session, signAndSubmit, token } from "../session.js";
import { raffleCommitment } from "../ledger.js";
import { toHex } from "../borsh.js";
import { randomBytes } from "../wallet.js";
import { flash, go } from "../nav.js";
import { genesisParams, missedRevealsNotice, phaseText, windowText } from "./common.js";
import { ACCEPTED_TYPES, MAX_IMAGES, thumbUrl, uploadImage } from "../images.js";

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
      remember("products", receipt.product, { items: receipt.items, at: Date.now() });
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
  // The chain's minimums (genesis): entries open for at least `min_raffle_entry_ms` from the
  // creating block, at least `min_raffle_reveal_blocks` blocks for the reveal.
  const minMinutes = Math.max(0.5, Math.ceil((params.min_raffle_entry_ms / 60_000) * 2) / 2);
  const revealBlocks = Math.max(1000, params.min_raffle_reveal_blocks);
  const items = input({ name: "items", inputmode: "numeric", placeholder: "12, 13" });
  const minutes = input({ type: "number", name: "minutes", min: String(minMinutes), step: "0.5", value: "60", inputmode: "decimal" });
  const price = input({ type: "number", name: "price", min: "1", inputmode: "numeric" });
  const runners = input({ type: "number", name: "runners_up", min: "0", max: "100", value: "3" });
  const minAge = input({ type: "number", name: "min_age", min: "0", max: "120" });
  const statusEl = h("div", { "aria-live": "polite" });
  const button = h("button.primary", { type: "submit" }, t("seller.createRaffle"));
  const el = form("raffle-form", [
    h("h2", t("seller.createRaffle")),
    h("div.grid",
      field(t("seller.raffleItems"), items, { required: true }), field(t("seller.raffleMinutes"), minutes, { required: true }),
      field(t("seller.rafflePrice"), price, { required: true }), field(t("seller.runnersUp"), runners),
      field(`${t("seller.minAge")}`, minAge)),
    h("p.small#raffle-minimums", { "data-min-entry-ms": String(params.min_raffle_entry_ms), "data-min-reveal-blocks": String(params.min_raffle_reveal_blocks) },
      t("seller.raffleMinimums", {
        s: Math.round(params.min_raffle_entry_ms / 1000), blocks: params.min_raffle_entry_blocks,
        reveal: params.min_raffle_reveal_blocks, used: revealBlocks,
      })),
    h("p.small", t("seller.raffleVoidRule", { days: Math.round(params.missed_reveal_cooldown_ms / 86_400_000 * 10) / 10 })),
    statusEl, button,
  ], async () => {
    try {
      const secret = randomBytes(32);
      const effect = await busy(button, statusEl, () => {
        const now = Date.now();
        const spec = {
          items: items.value.split(/[\s,]+/).filter(Boolean).map(Number),
          // Opens a minute back so that the next block's time (the leader's clock) is inside.
          window: { by: "times", opens_ms: now - 60_000, closes_ms: now + Math.round(Number(minutes.value) * 60_000) },
          price: Number(price.value), runners_up: Number(runners.value || 0),
          min_age: minAge.value ? Number(minAge.value) : null,
          seed_commitment: toHex(raffleCommitment(secret)),
          reveal_blocks: revealBlocks, payment_window_ms: 24 * 3_600_000,
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
  el.setItems = (ids) => { items.value = ids.join(", "); };
  return el;
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
  add(main, status("ok", t("seller.approved", { shop: standing.seller.shop_name })), missedRevealsNotice(standing));
  const mine = h("section.panel#my-raffles", { "aria-labelledby": "my-raffles-title" });
  const products = h("section.panel#my-products", { "aria-labelledby": "my-products-title" });
  const sales = h("section.panel#sales", { "aria-labelledby": "sales-title" });
  const loadLists = () => Promise.all([
    (async () => {
      const ids = Object.keys(remembered("products"));
      fill(products, h("h2#my-products-title", t("seller.myProducts")), ids.length
        ? h("ul.list", ids.map((id) => h("li", h("a", { href: `#/product/${id}` }, `#${id}`))))
        : h("p.empty", t("common.none")));
    })(),
    rpc("raffle_list", [null, { page: 1, page_size: 100 }]).then((page) => {
      const own = page.items.filter((r) => r.seller === account);
      fill(mine, h("h2#my-raffles-title", t("seller.myRaffles")), own.length
        ? h("ul.list", own.map((r) => h("li", h("a", { href: `#/raffle/${r.id}` }, t("raffle.title", { id: r.id })),
          ` · ${phaseText(r)} · ${t("raffle.entries", { n: r.entry_count })} · ${windowText(r.spec.window)}`)))
        : h("p.empty", t("common.none")));
    }).catch((e) => fill(mine, h("h2#my-raffles-title", t("seller.myRaffles")), status("error", errorMessage(e)))),
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
