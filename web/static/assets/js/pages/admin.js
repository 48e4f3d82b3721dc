// The admins' console (`#/admin`): the same signed transactions and admin queries the
// CLI sends (`truffle seller approve|revoke`, `ad create|enable|disable|stats`,
// `account suspend`, `order refund`), signed in this browser with an admin key.
//
// The admin key is kept like a member's wallet key: imported once from its key file
// (the JSON `truffle keys generate` writes), sealed in localStorage under a passphrase
// (PBKDF2 + AES-GCM, wallet.js), unlocked into this page's memory when it signs. The
// node checks nothing here: the ledger refuses what a non-admin key signs, and ad
// statistics answer only a query signed by an active admin.

import { dateTime, errorMessage, t, won } from "../i18n.js";
import { rpc } from "../rpc.js";
import { add, busy, dialog, field, fill, h, input, select, shortKey, status } from "../ui.js";
import { chainId, submitSigned } from "../session.js";
import { adminQueryMessage } from "../ledger.js";
import { fromHex, toHex } from "../borsh.js";
import { openSeed, publicKeyOf, sealSeed, signWithSeed, WalletLocked } from "../wallet.js";

const ADMIN_STORE = "truffle.admin";
let unlocked = null; // { publicKey, seed }

function storedAdmin() {
  const text = localStorage.getItem(ADMIN_STORE);
  return text ? JSON.parse(text) : null;
}

/** Reads a key file (`{ public_key, secret_seed }`) or a bare 64-hex seed. */
export function parseAdminKey(text) {
  const trimmed = String(text).trim();
  let seedHex = trimmed;
  if (trimmed.startsWith("{")) {
    const json = JSON.parse(trimmed);
    seedHex = json.secret_seed || "";
    if (json.public_key && publicKeyOf(fromHex(seedHex, 32)) !== json.public_key) {
      throw new Error(t("admin.keyMismatch"));
    }
  }
  if (!/^[0-9a-fA-F]{64}$/.test(seedHex)) throw new Error(t("admin.keyInvalid"));
  return fromHex(seedHex.toLowerCase(), 32);
}

async function adminSeed() {
  const record = storedAdmin();
  if (!record) throw new Error(t("admin.noKey"));
  if (unlocked && unlocked.publicKey === record.public_key) return unlocked.seed;
  let note = t("admin.unlockNote");
  for (;;) {
    const passphrase = input({ type: "password", name: "passphrase", autocomplete: "off" });
    const values = await dialog(t("admin.unlock"), note, [field(t("admin.passphrase"), passphrase, { required: true })], t("common.submit"));
    if (!values) throw new Error(t("common.cancel"));
    try {
      const seed = await openSeed(record, values.passphrase);
      unlocked = { publicKey: record.public_key, seed };
      return seed;
    } catch (error) {
      if (!(error instanceof WalletLocked)) throw error;
      note = h("div", h("p", t("admin.unlockNote")), status("error", t("wallet.wrongPassword")));
    }
  }
}

/** Signs `payload` with the admin key and waits for its block. */
async function adminSubmit(payload) {
  const seed = await adminSeed();
  return submitSigned(seed, storedAdmin().public_key, payload);
}

/** An admin query for `method`, signed now (the CLI's `AdminQuery::sign`). */
async function adminQuery(method) {
  const seed = await adminSeed();
  const time = Date.now();
  const signature = await signWithSeed(seed, adminQueryMessage(await chainId(), method, time));
  return { admin: storedAdmin().public_key, time_ms: time, signature: toHex(signature) };
}

function section(id, title, ...children) {
  return h(`section.panel#${id}`, { "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title), ...children);
}

function actionButton(label, cls, statusEl, action, after) {
  const button = h(`button.${cls}`, { type: "button" }, label);
  button.addEventListener("click", () => busy(button, statusEl, action, t("wallet.signing")).then(after).catch(() => {}));
  return button;
}

// ---- Key setup -------------------------------------------------------------------------------

function keySetup(after) {
  const file = h("input#admin-key-file", { type: "file", accept: "application/json,.json" });
  const pasted = h("textarea#admin-key-text", { name: "key", rows: "3", autocomplete: "off", spellcheck: "false" });
  const passphrase = input({ type: "password", name: "passphrase", id: "admin-passphrase", autocomplete: "new-password", minlength: "10" });
  const statusEl = h("div.form-status", { "aria-live": "polite" });
  const button = h("button.primary#admin-key-save", { type: "submit" }, t("admin.saveKey"));
  const form = h("form#admin-key-form",
    field(t("admin.keyFile"), file),
    field(t("admin.keyText"), pasted, { hint: t("admin.keyHint") }),
    field(t("admin.passphrase"), passphrase, { required: true, hint: t("admin.passphraseHint") }),
    statusEl, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await busy(button, statusEl, async () => {
        const text = file.files[0] ? await file.files[0].text() : pasted.value;
        const seed = parseAdminKey(text);
        const account = await rpc("account_get", [publicKeyOf(seed)]).catch(() => null);
        if (!account || account.role !== "admin") throw new Error(t("admin.notAdmin"));
        localStorage.setItem(ADMIN_STORE, JSON.stringify(await sealSeed(seed, passphrase.value)));
        unlocked = { publicKey: publicKeyOf(seed), seed };
      });
      after();
    } catch {
      // Shown by busy().
    }
  });
  return section("admin-key", t("admin.keyTitle"), h("p", t("admin.keyNote")), form);
}

// ---- The console's parts -----------------------------------------------------------------------

async function sellersPart(el) {
  const statusEl = h("div", { "aria-live": "polite" });
  const [applied, approved] = await Promise.all([rpc("seller_list", ["applied", null, 100]), rpc("seller_list", ["approved", null, 100])]);
  const reload = () => sellersPart(el);
  const row = (s, buttons) => h("li.row-card.seller-row", { "data-account": s.account },
    h("p.row-head", h("strong", s.seller.shop_name), " ", h("code", { title: s.account }, shortKey(s.account))), h("p.actions", buttons));
  fill(el, h("h2#admin-sellers-title", t("admin.sellers")), statusEl,
    h("h3", t("admin.applications")),
    applied.length ? h("ul.rows", applied.map((s) => row(s, [
      actionButton(t("admin.approve"), "primary.seller-approve", statusEl, () => adminSubmit({ approve_seller: { account: s.account } }), reload),
    ]))) : h("p.empty", t("admin.noApplications")),
    h("h3", t("admin.approvedSellers")),
    approved.length ? h("ul.rows", approved.map((s) => row(s, [
      actionButton(t("admin.revoke"), "danger.seller-revoke", statusEl, () => adminSubmit({ revoke_seller: { account: s.account } }), reload),
    ]))) : h("p.empty", t("admin.noSellers")));
}

async function adsPart(el) {
  const statusEl = h("div", { "aria-live": "polite" });
  const reload = () => adsPart(el);
  const title = input({ name: "title", id: "ad-title", maxlength: "80" });
  const image = input({ type: "url", name: "image_url", id: "ad-image" });
  const landing = input({ type: "url", name: "landing_url", id: "ad-landing" });
  const placement = input({ name: "placement", id: "ad-placement", value: "main" });
  const days = input({ type: "number", name: "days", id: "ad-days", min: "1", max: "365", value: "7" });
  const gender = select("target_gender", [["", t("admin.anyone")], ["female", t("signup.gender.female")], ["male", t("signup.gender.male")], ["other", t("signup.gender.other")]], "");
  const create = h("button.primary#ad-create", { type: "submit" }, t("admin.createAd"));
  const form = h("form#ad-form",
    field(t("admin.adTitle"), title, { required: true }), field(t("admin.adImage"), image, { required: true }),
    field(t("admin.adLanding"), landing, { required: true }), field(t("admin.adPlacement"), placement, { required: true }),
    field(t("admin.adDays"), days, { required: true }), field(t("admin.adGender"), gender), create);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const now = Date.now();
    try {
      await busy(create, statusEl, () => adminSubmit({ create_ad: {
        title: title.value.trim(), image_url: image.value.trim(), landing_url: landing.value.trim(),
        placement: placement.value.trim(), starts_at_ms: now - 60_000, ends_at_ms: now + Number(days.value) * 86_400_000,
        target_gender: gender.value || null, target_min_age: null, target_max_age: null,
      } }), t("wallet.signing"));
      reload();
    } catch {
      // Shown by busy().
    }
  });
  const stats = h("div#ad-stats", h("p.loading", t("common.loading")));
  fill(el, h("h2#admin-ads-title", t("admin.ads")), statusEl, form, h("h3", t("admin.adStats")), stats);
  if (!unlocked) {
    // Statistics are an admin-signed query: ask for the passphrase on a click, not on load.
    fill(stats, actionButton(t("admin.showStats"), "secondary#ad-stats-show", statusEl, adminSeed, reload));
    return;
  }
  try {
    const answer = await rpc("ad_stats", [await adminQuery("ad_stats")]);
    const answered = answer.nodes.filter((n) => n.answered).length;
    fill(stats, h("p.small", t("admin.adCounts", { answered, total: answer.nodes.length })),
      answer.campaigns.length ? h("ul.rows", answer.campaigns.map((c) => h("li.row-card.ad-row", { "data-ad": c.ad },
        h("p.row-head", h("strong", `#${c.ad} ${c.title}`), " ",
          h("span.badge.ad-state", { "data-active": String(c.active) }, t(c.live ? "admin.adLive" : c.active ? "admin.adOn" : "admin.adOff"))),
        h("p.small", `${c.placement} · ${dateTime(c.starts_at_ms)} – ${dateTime(c.ends_at_ms)}`),
        h("p.ad-counts", t("admin.adNumbers", { impressions: c.impressions, clicks: c.clicks })),
        h("p.actions", c.active
          ? actionButton(t("admin.adDisable"), "secondary.ad-disable", statusEl, () => adminSubmit({ set_ad_active: { ad: c.ad, active: false } }), reload)
          : actionButton(t("admin.adEnable"), "primary.ad-enable", statusEl, () => adminSubmit({ set_ad_active: { ad: c.ad, active: true } }), reload)))))
        : h("p.empty", t("admin.noAds")));
  } catch (error) {
    fill(stats, status("error", errorMessage(error)));
  }
}

async function refundsPart(el) {
  const statusEl = h("div", { "aria-live": "polite" });
  const reload = () => refundsPart(el);
  const page = await rpc("order_openRefunds", [{ page: 1, page_size: 100 }]);
  fill(el, h("h2#admin-refunds-title", t("admin.refunds")), statusEl,
    page.items.length ? h("ul.rows", page.items.map((o) => {
      const request = o.refund_request;
      const note = input({ name: `note-${o.id}`, maxlength: "500", "aria-label": t("refund.note") });
      return h("li.row-card.refund-row", { "data-order": o.id },
        h("p.row-head", h("a", { href: `#/order/${o.id}` }, t("pay.order", { id: o.id })), " ",
          h("span.badge", t(`refund.status.${request.status}`)), h("strong.amount", won(o.amount))),
        h("p", request.reason),
        request.status === "requested" ? [note, h("p.actions",
          actionButton(t("refund.approve"), "primary.refund-approve", statusEl,
            () => adminSubmit({ decide_refund: { order: o.id, approve: true, note: note.value.trim() } }), reload),
          actionButton(t("refund.refuse"), "secondary.refund-refuse", statusEl,
            () => adminSubmit({ decide_refund: { order: o.id, approve: false, note: note.value.trim() } }), reload))]
          : h("p.small", t("refund.approvedNote")));
    })) : h("p.empty", t("admin.noRefunds")));
}

function suspensionsPart(el) {
  const statusEl = h("div", { "aria-live": "polite" });
  const account = input({ name: "account", id: "suspend-account", pattern: "[0-9a-fA-F]{64}", spellcheck: "false" });
  const shown = h("div#suspend-state");
  const lookup = async () => {
    const record = await rpc("account_get", [account.value.trim().toLowerCase()]);
    fill(shown, h("p", t("admin.accountState", { role: record.role, status: record.status })));
    return record;
  };
  const set = (suspended) => async () => {
    await adminSubmit({ set_account_suspended: { account: account.value.trim().toLowerCase(), suspended } });
    await lookup();
  };
  fill(el, h("h2#admin-suspend-title", t("admin.suspensions")), h("p", t("admin.suspendNote")),
    field(t("admin.account"), account, { hint: t("admin.accountHint") }), shown, statusEl,
    h("p.actions",
      actionButton(t("admin.lookup"), "secondary.account-lookup", statusEl, lookup),
      actionButton(t("admin.suspend"), "danger.account-suspend", statusEl, set(true)),
      actionButton(t("admin.reactivate"), "primary.account-reactivate", statusEl, set(false))));
}

async function validatorsPart(el) {
  const validators = await rpc("chain_getValidators");
  fill(el, h("h2#admin-validators-title", t("admin.validators")), h("p", t("admin.validatorsNote")),
    h("ul.rows", validators.map((v) => h("li.row-card.validator-row",
      h("p.row-head", h("strong", v.name), " ", h("code", { title: v.key }, shortKey(v.key))),
      h("p.small", `${v.p2p_address} · ${t("common.block", { h: v.since_height })}`)))));
}

function part(id, load) {
  const el = h(`section.panel#${id}`, { "aria-labelledby": `${id}-title` }, h("p.loading", t("common.loading")));
  Promise.resolve().then(() => load(el)).catch((error) => fill(el, status("error", errorMessage(error))));
  return el;
}

export async function renderAdmin(main) {
  add(main, h("h1", t("admin.title")));
  const record = storedAdmin();
  if (!record) {
    add(main, keySetup(() => {
      main.replaceChildren();
      renderAdmin(main);
    }), h("details.help", h("summary", t("help.title")), h("p", t("admin.help"))));
    return;
  }
  const forget = h("button.secondary#admin-forget", { type: "button" }, t("admin.forgetKey"));
  forget.addEventListener("click", () => {
    localStorage.removeItem(ADMIN_STORE);
    unlocked = null;
    main.replaceChildren();
    renderAdmin(main);
  });
  add(main,
    h("p.admin-key", t("admin.signingAs"), " ", h("code#admin-key", { title: record.public_key }, shortKey(record.public_key)), " ", forget),
    part("admin-sellers", sellersPart),
    part("admin-refunds", refundsPart),
    part("admin-ads", adsPart),
    part("admin-suspend", suspensionsPart),
    part("admin-validators", validatorsPart),
    h("details.help", h("summary", t("help.title")), h("p", t("admin.help"))));
}
