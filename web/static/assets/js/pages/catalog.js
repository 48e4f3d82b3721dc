// Search with filters and its results page; a product and its numbered pieces; an item
// with its ownership history and the "verified on the ledger" badge checked here.

import { dateTime, errorMessage, lang, t, won } from "../i18n.js";
import { rpc } from "../rpc.js";
import { add, busy, field, fill, h, highlighted, input, select, shortKey, status } from "../ui.js";
import { session, signAndSubmit } from "../session.js";
import { verifyHistoryBundle } from "../verify.js";
import { genesisChainId } from "../ledger.js";
import { cardList, missedRevealsNotice, paymentPanel, productCard, productName, setHighlighter } from "./common.js";
import { go } from "../nav.js";
import { gallery, imagesVerdict } from "../images.js";
import { chatButton } from "./chat.js";
import { resalePanel } from "./seller-actions.js";

setHighlighter(highlighted);

const SORTS = ["relevance", "newest", "price_asc", "price_desc"];
const AVAILABILITY = ["any", "available", "sold_out"];
const PAGE_SIZE = 12;

function queryFromParams(params) {
  const number = (name) => (params.get(name) && /^\d+$/.test(params.get(name)) ? Number(params.get(name)) : null);
  return {
    text: params.get("q") || "",
    filters: {
      brand: params.get("brand") || null,
      category: params.get("category") || null,
      min_price: number("min"),
      max_price: number("max"),
      has_open_raffle: params.get("raffle") === "1" ? true : null,
      availability: AVAILABILITY.includes(params.get("avail")) ? params.get("avail") : "any",
    },
    sort: SORTS.includes(params.get("sort")) ? params.get("sort") : "relevance",
    page: Math.max(1, number("page") || 1),
    page_size: PAGE_SIZE,
  };
}

export async function renderSearch(main, { query: params }) {
  const q = queryFromParams(params);
  const text = input({ type: "search", name: "q", value: q.text, placeholder: t("search.placeholder") });
  const brand = input({ name: "brand", value: q.filters.brand || "" });
  const category = input({ name: "category", value: q.filters.category || "", list: "categories" });
  const min = input({ type: "number", name: "min", min: "0", inputmode: "numeric", value: q.filters.min_price ?? "" });
  const max = input({ type: "number", name: "max", min: "0", inputmode: "numeric", value: q.filters.max_price ?? "" });
  const sort = select("sort", SORTS.map((s) => [s, t(`search.sort.${s}`)]), q.sort);
  const avail = select("avail", AVAILABILITY.map((a) => [a, t(`search.avail.${a}`)]), q.filters.availability);
  const raffle = h("input", { type: "checkbox", name: "raffle", value: "1", checked: q.filters.has_open_raffle === true, id: "raffle-only" });
  const categories = h("datalist#categories",
    ["sneakers", "streetwear", "watches", "bags", "whisky", "toys", "cards", "figures", "kpop", "games"].map((c) => h("option", { value: c })));
  const formEl = h("form.search-form#search-form", { role: "search" },
    field(t("search.query"), text),
    h("details.filters", { open: !!(q.filters.brand || q.filters.category || q.filters.min_price || q.filters.max_price || q.filters.has_open_raffle || q.filters.availability !== "any") },
      h("summary", t("search.filters")),
      h("div.grid",
        field(t("search.brand"), brand), field(t("search.category"), category), categories,
        field(t("search.minPrice"), min), field(t("search.maxPrice"), max),
        field(t("search.availability"), avail),
        h("div.field.check", raffle, h("label", { for: "raffle-only" }, t("search.raffleOnly"))))),
    h("div.row", field(t("search.sort"), sort), h("button.primary", { type: "submit" }, t("search.button"))));
  formEl.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    const set = (k, v) => { if (v !== "" && v !== null && v !== undefined) next.set(k, v); };
    set("q", text.value.trim());
    set("brand", brand.value.trim());
    set("category", category.value.trim());
    set("min", min.value);
    set("max", max.value);
    if (sort.value !== "relevance") set("sort", sort.value);
    if (avail.value !== "any") set("avail", avail.value);
    if (raffle.checked) set("raffle", "1");
    go(`/search?${next.toString()}`);
  });
  const results = h("section#results", { "aria-labelledby": "results-title", "aria-live": "polite" });
  add(main, h("h1", t("search.title")), formEl, results);

  let page;
  try {
    page = await rpc("product_search", [q]);
  } catch (error) {
    fill(results, h("h2#results-title.visually-hidden", t("search.title")), status("error", errorMessage(error)));
    return;
  }
  const pages = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
  const link = (n, label) => {
    const next = new URLSearchParams(params);
    next.set("page", String(n));
    return h("a.button.secondary", { href: `#/search?${next.toString()}` }, label);
  };
  fill(results, 
    h("h2#results-title", t("search.results", { n: page.total })),
    page.relaxed ? h("p.note", t("search.relaxed")) : null,
    cardList(page.hits.map((hit) => productCard(hit.product, { highlight: hit.highlight })), t("search.none")),
    pages > 1 ? h("nav.pager", { "aria-label": t("search.page", { page: q.page, pages }) },
      q.page > 1 ? link(q.page - 1, t("search.prev")) : null,
      h("span", t("search.page", { page: q.page, pages })),
      q.page < pages ? link(q.page + 1, t("search.next")) : null) : null);
}

function lockText(lock) {
  if (!lock || lock.kind === "free") return t("item.lock.free");
  return t(`item.lock.${lock.kind}`, { id: lock.id });
}

function ownerText(key) {
  const mine = session() && session().account === key;
  return h("span.owner", { title: key }, mine ? `${t("common.you")} (${shortKey(key)})` : shortKey(key));
}

export async function renderProduct(main, { params: [id] }) {
  const view = await rpc("product_get", [Number(id)]);
  const p = view;
  const statusEl = h("div", { "aria-live": "polite" });
  const rows = view.items.map((item) => {
    let buy = null;
    if (item.listing_price && item.lock.kind === "free" && session() && session().account !== item.owner) {
      buy = h("button.small", { type: "button" }, t("product.buy"));
      buy.addEventListener("click", async () => {
        try {
          const result = await busy(buy, statusEl, () => signAndSubmit({ create_order: { item: item.id } }), t("wallet.signing"));
          go(`/order/${result.effect.order}`);
        } catch {
          // Shown by busy().
        }
      });
    }
    const ask = session() && session().account !== item.owner
      ? chatButton({ item: item.id }, t("chat.askOwner")) : null;
    return h("li.row-card", { "data-item": String(item.id) },
      h("p.row-head",
        h("a.piece", { href: `#/item/${item.id}` }, t("product.piece", { k: item.edition, n: item.edition_size })),
        h("span.small", `${t("product.serial")} ${item.serial}`),
        h("strong.amount", item.listing_price ? won(item.listing_price) : t("product.notListed"))),
      h("p.small", `${t("common.owner")} `, ownerText(item.owner), " · ",
        item.lock.kind === "raffle" ? h("a", { href: `#/raffle/${item.lock.id}` }, lockText(item.lock)) : lockText(item.lock)),
      buy || ask ? h("p.actions", buy, ask) : null);
  });
  const sellerStanding = await rpc("seller_get", [p.seller]).catch(() => null);
  // Each image counts once its bytes hash to a hash of the product as proven from the
  // genesis (the first piece's proof bundle carries the product record).
  const images = gallery(p.image_hashes, p.image_hashes.length
    ? provenProduct(p.first_item).then((verdict) => verdict.product.image_hashes)
    : Promise.resolve([]), { alt: productName(p) });
  const imagesNote = h("div#images-verdict", { "aria-live": "polite" });
  add(main, 
    h("p.crumbs", h("a", { href: "#/search" }, t("nav.search"))),
    h("h1", h("span.brand", p.brand), " ", productName(p)),
    h("p.sub", lang() === "en" ? p.name_ko : p.name_en),
    images.el, imagesNote,
    h("dl.facts",
      h("dt", t("seller.model")), h("dd", p.model),
      h("dt", t("seller.category")), h("dd", p.category),
      h("dt", t("product.released")), h("dd", String(p.release_date).replace(/(\d{4})(\d{2})(\d{2})/, "$1-$2-$3")),
      h("dt", t("seller.price")), h("dd", won(p.price)),
      h("dt", t("product.editionSize")), h("dd", String(p.edition_size)),
      h("dt", t("product.seller")), h("dd", ownerText(p.seller), missedRevealsNotice(sellerStanding)),
      h("dt", t("item.tx")), h("dd", h("code", `${t("common.block", { h: p.registered.height })} · ${p.registered.tx_hash.slice(0, 16)}…`))),
    h("p.description", p.description),
    statusEl,
    h("section", { "aria-labelledby": "pieces-title" },
      h("h2#pieces-title", t("product.pieces")),
      h("ul.rows.pieces", rows)));
  fill(imagesNote, imagesVerdict(await images.done));
}

// ---- Item: history and the badge ------------------------------------------------------------

const PIN_KEY = "truffle.chain";

/** The genesis spec, checked against its chain id and pinned on first use. */
export async function trustedGenesis() {
  const response = await fetch("/genesis.json", { cache: "no-cache" });
  const spec = await response.json();
  const chainId = genesisChainId(spec);
  const pinned = localStorage.getItem(PIN_KEY);
  if (!pinned) localStorage.setItem(PIN_KEY, chainId);
  else if (pinned !== chainId) {
    throw new Error(t("item.chainChanged", { got: chainId.slice(0, 12), pinned: pinned.slice(0, 12) }));
  }
  return { spec, chainId, firstUse: !pinned };
}

/**
 * The verdict on piece `itemId`'s proof bundle (`proof_history`), checked here from the
 * genesis: its `product` is the product record as proven, `image_hashes` included.
 */
export async function provenProduct(itemId) {
  const trust = await trustedGenesis();
  const bundle = await rpc("proof_history", [itemId]);
  return verifyHistoryBundle(trust.spec, itemId, bundle.bundle);
}

function acquisitionText(acq) {
  return t(`item.acq.${acq.kind}`, { order: acq.order ?? "" });
}

export async function renderItem(main, { params: [id] }) {
  const itemId = Number(id);
  const [view, history] = await Promise.all([rpc("product_getItem", [itemId]), rpc("product_history", [itemId])]);
  const { item, product } = view;
  const badge = h("div.badge-box#verify", { role: "status", "aria-live": "polite" },
    h("p.verifying", t("item.verifying")));
  const historyList = h("ol.history#history");
  const renderHistory = (verifiedSteps) => {
    fill(historyList, ...history.owners.map((record) => {
      const verified = verifiedSteps && verifiedSteps.some((s) => s.sequence === record.sequence && s.tx.tx_hash === record.tx.tx_hash);
      return h("li",
        h("span.step", acquisitionText(record.acquisition)), " · ", ownerText(record.owner), " · ",
        h("span.block", t("common.block", { h: record.tx.height })), " · ",
        h("code", { title: record.tx.tx_hash }, record.tx.tx_hash.slice(0, 12)),
        verified ? h("span.check", { "aria-label": t("item.verified") }, " ✓") : null);
    }));
  };
  renderHistory(null);
  let provenImages;
  const proven = new Promise((resolve, reject) => { provenImages = { resolve, reject }; });
  const images = gallery(product.image_hashes, proven, { alt: productName(product) });
  const mine = session() && session().account === item.owner;
  // A listed piece: anyone else logged in may order it; its owner lists, reprices or unlists.
  let buy = null;
  const buyStatus = h("div#item-buy-status", { "aria-live": "polite" });
  if (item.listing_price && item.lock.kind === "free" && session() && !mine) {
    buy = h("button.primary#item-buy", { type: "button" }, `${t("product.buy")} · ${won(item.listing_price)}`);
    buy.addEventListener("click", async () => {
      try {
        const result = await busy(buy, buyStatus, () => signAndSubmit({ create_order: { item: item.id } }), t("wallet.signing"));
        go(`/order/${result.effect.order}`);
      } catch {
        // Shown by busy().
      }
    });
  }
  add(main, 
    h("p.crumbs", h("a", { href: `#/product/${product.id}` }, `${product.brand} ${productName(product)}`)),
    h("h1", `${productName(product)} ${t("product.piece", { k: item.edition, n: item.edition_size })}`),
    badge,
    images.el,
    session() && !mine ? h("p.actions", chatButton({ item: itemId }, t("chat.askOwner"))) : null,
    h("dl.facts",
      h("dt", t("product.serial")), h("dd.serial", item.serial),
      h("dt", t("common.owner")), h("dd.current-owner", ownerText(item.owner)),
      h("dt", t("raffle.status")), h("dd", item.lock.kind === "raffle" ? h("a", { href: `#/raffle/${item.lock.id}` }, lockText(item.lock)) : lockText(item.lock)),
      h("dt", t("seller.price")), h("dd", item.listing_price ? won(item.listing_price) : t("product.notListed"))),
    buy ? h("p.actions", buy, buyStatus) : null,
    mine ? resalePanel(item, () => go(`/item/${itemId}`)) : null,
    h("section", { "aria-labelledby": "history-title" }, h("h2#history-title", t("item.history")), historyList),
    h("details.covers", h("summary", t("item.verify.covers")), h("p", t("item.verify.coversText"))));

  try {
    const trust = await trustedGenesis();
    const bundle = await rpc("proof_history", [itemId]);
    const verdict = verifyHistoryBundle(trust.spec, itemId, bundle.bundle);
    provenImages.resolve(verdict.product.image_hashes);
    badge.className = "badge-box ok";
    fill(badge, 
      h("p.verified", h("span.seal", { "aria-hidden": "true" }, "✔"), " ", t("item.verified")),
      h("p.detail", t("item.verified.detail", { h: verdict.anchor.height, v: verdict.anchor.validators, chain: trust.chainId.slice(0, 12) })),
      h("p.detail", `${t("common.owner")}: `, ownerText(verdict.owner), ` · ${dateTime(verdict.anchor.time_ms)}`),
      trust.firstUse ? h("p.detail", t("item.chainPinned", { chain: trust.chainId.slice(0, 12) })) : null);
    renderHistory(verdict.history);
  } catch (error) {
    provenImages.reject(error);
    badge.className = "badge-box error";
    fill(badge, h("p", t("item.verify.failed", { reason: errorMessage(error) })));
  }
  // The images count toward "verified" only once their bytes match the proven hashes.
  add(badge, imagesVerdict(await images.done));
}

export { paymentPanel };
