// Login, Signup (phone verification with its failure path back to the start), My Page,
// Update, withdrawal.

import { dateTime, errorMessage, t, won } from "../i18n.js";
import { RpcError, rpc } from "../rpc.js";
import { add, busy, dialog, field, fill, h, input, select, shortKey, status } from "../ui.js";
import { chainId, clearSession, keepUnlocked, me, session, setSession, token } from "../session.js";
import { forgetRecord, generateKey, openSeed, rewrap, sealSeed, signWithSeed, storeRecord, storedRecord } from "../wallet.js";
import { signupMessage } from "../ledger.js";
import { toHex } from "../borsh.js";
import { flash, go } from "../nav.js";
import { recommendations } from "./home.js";
import { restoreControl } from "./recovery.js";

function requireLogin(main) {
  if (session()) return true;
  flash(t("error.3014"));
  // Back to this page after logging in (a link from KakaoTalk lands here logged out).
  const here = location.hash.replace(/^#/, "").split("?")[0] || "/me";
  go(`/login?next=${encodeURIComponent(here)}`);
  add(main, status("info", t("error.3014")));
  return false;
}

function form(id, children, onSubmit) {
  const el = h(`form#${id}`, { novalidate: false }, children);
  el.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit(el);
  });
  return el;
}

// ---- Login -----------------------------------------------------------------------------

/** Unlocks this browser's key with the login password: "ok", "locked" (sealed under
 * another password, e.g. before a reset) or "missing". */
async function unlockAfterLogin(account, password) {
  const record = storedRecord(account);
  if (!record) return "missing";
  try {
    keepUnlocked(account, await openSeed(record, password));
    return "ok";
  } catch {
    return "locked";
  }
}

/** Where to go after logging in: `?next=` when it is one of the pages' own routes. */
function afterLogin(query) {
  const next = query && query.get("next");
  // The brief draws login landing on the main page.
  return next && /^\/[a-z0-9/]*$/.test(next) && !next.startsWith("//") ? next : "/";
}

export async function renderLogin(main, { query } = {}) {
  const next = afterLogin(query);
  const email = input({ type: "email", name: "email", autocomplete: "email" });
  const password = input({ type: "password", name: "password", autocomplete: "current-password" });
  const statusEl = h("div.form-status", { "aria-live": "polite" });
  const button = h("button.primary", { type: "submit" }, t("login.submit"));
  const extra = h("div");
  const el = form("login-form", [
    field(t("login.email"), email, { required: true }),
    field(t("login.password"), password, { required: true }),
    statusEl, button,
  ], async () => {
    try {
      const loggedIn = await busy(button, statusEl, () => rpc("auth_login", [email.value.trim(), password.value]));
      setSession(loggedIn);
      const wallet = await unlockAfterLogin(loggedIn.account, password.value);
      if (wallet !== "ok") {
        // No key here, or one sealed under an older password: restore it from a backup.
        fill(statusEl, status("ok", t("login.done")));
        fill(extra, status("info", t(wallet === "missing" ? "login.noWallet" : "login.lockedWallet")),
          restoreControl(loggedIn.account, password.value, () => go(next)),
          h("p", h("a#skip-restore", { href: `#${next}` }, t("login.skipRestore"))));
        return;
      }
      flash(t("login.done"));
      go(next);
    } catch {
      // busy() showed the error.
    }
  });
  add(main, h("section.narrow", h("h1", t("login.title")), el, extra,
    h("p", t("login.noAccount"), " ", h("a", { href: "#/signup" }, t("nav.signup"))),
    h("p", h("a#forgot-password", { href: "#/reset" }, t("login.forgot")))));
}

// ---- Signup ----------------------------------------------------------------------------

export async function renderSignup(main) {
  const container = h("section.narrow");
  add(main, container);
  const state = { phone: "", token: null };
  const heading = h("h1", t("signup.title"));
  const steps = h("ol.steps", { "aria-label": t("signup.title") });
  const body = h("div");
  add(container, heading, steps, body);

  const showSteps = (current) => {
    fill(steps, ...[1, 2, 3].map((n) => h("li", {
      class: n === current ? "current" : n < current ? "done" : "",
      "aria-current": n === current ? "step" : false,
    }, t(`signup.step${n}`))));
  };

  const restart = (error) => {
    state.token = null;
    stepPhone(status("error", `${t("signup.restart")} ${errorMessage(error)}`));
  };

  const stepPhone = (notice) => {
    showSteps(1);
    const phone = input({ type: "tel", name: "phone", autocomplete: "tel", inputmode: "tel", value: state.phone });
    const statusEl = h("div.form-status", { "aria-live": "polite" }, notice || "");
    const button = h("button.primary", { type: "submit" }, t("signup.sendCode"));
    fill(body, form("signup-phone", [
      h("h2", t("signup.step1")),
      field(t("signup.phone"), phone, { required: true, hint: t("signup.phoneHint") }),
      statusEl, button,
    ], async () => {
      try {
        const sent = await busy(button, statusEl, () => rpc("auth_requestPhoneCode", [phone.value.trim()]));
        state.phone = phone.value.trim();
        stepCode(sent);
      } catch {
        // Shown by busy().
      }
    }));
    phone.focus();
  };

  const stepCode = (sent) => {
    showSteps(2);
    const code = input({ name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6", pattern: "[0-9]{6}" });
    const statusEl = h("div.form-status", { "aria-live": "polite" }, status("info", t("signup.codeSent", { secs: sent.expires_in_secs })));
    const button = h("button.primary", { type: "submit" }, t("signup.verify"));
    fill(body, form("signup-code", [
      h("h2", t("signup.step2")), h("p", state.phone),
      field(t("signup.code"), code, { required: true }),
      statusEl, button,
    ], async () => {
      try {
        const verified = await busy(button, statusEl, () => rpc("auth_verifyPhoneCode", [state.phone, code.value.trim()]));
        state.token = verified.verification_token;
        stepDetails();
      } catch (error) {
        // Expired code, too many wrong codes: the brief's failure path, back to the start.
        if (error instanceof RpcError && error.data && error.data.restart_signup) restart(error);
        else code.select();
      }
    }));
    code.focus();
  };

  const stepDetails = () => {
    showSteps(3);
    const email = input({ type: "email", name: "email", autocomplete: "email" });
    const password = input({ type: "password", name: "password", autocomplete: "new-password", minlength: "10" });
    const password2 = input({ type: "password", name: "password2", autocomplete: "new-password" });
    const name = input({ name: "name", autocomplete: "name" });
    const gender = select("gender", [["female", t("signup.gender.female")], ["male", t("signup.gender.male")], ["other", t("signup.gender.other")]], "other");
    const year = input({ type: "number", name: "birth_year", min: "1900", max: String(new Date().getFullYear()), inputmode: "numeric" });
    const address = input({ name: "address", autocomplete: "street-address" });
    const statusEl = h("div.form-status", { "aria-live": "polite" }, status("ok", t("signup.verified")));
    const button = h("button.primary", { type: "submit" }, t("signup.submit"));
    fill(body, form("signup-details", [
      h("h2", t("signup.step3")),
      field(t("signup.email"), email, { required: true }),
      field(t("signup.password"), password, { required: true, hint: t("signup.passwordHint") }),
      field(t("signup.password2"), password2, { required: true }),
      field(t("signup.name"), name, { required: true }),
      field(t("signup.gender"), gender),
      field(t("signup.birthYear"), year, { required: true }),
      field(`${t("signup.address")} (${t("common.optional")})`, address),
      h("p.note", t("signup.keyNote")),
      statusEl, button,
    ], async () => {
      if (password.value !== password2.value) {
        fill(statusEl, status("error", t("signup.passwordMismatch")));
        password2.focus();
        return;
      }
      let key = null;
      try {
        await busy(button, statusEl, async () => {
          key = generateKey();
          storeRecord(await sealSeed(key.seed, password.value));
          const request = {
            email: email.value.trim(), password: password.value, name: name.value.trim(),
            gender: gender.value, birth_year: Number(year.value), address: address.value.trim() || null,
            phone: state.phone, verification_token: state.token, public_key: key.publicKey,
          };
          // Proof of possession: the new wallet key signs this signup, for this chain.
          request.key_proof = toHex(await signWithSeed(key.seed, signupMessage(await chainId(), key.publicKey, state.token)));
          await rpc("account_signup", [request]);
          const loggedIn = await rpc("auth_login", [request.email, request.password]);
          setSession(loggedIn);
          keepUnlocked(key.publicKey, key.seed);
        }, t("signup.generating"));
        flash(t("signup.done"));
        go("/me");
      } catch (error) {
        if (key && !session()) forgetRecord(key.publicKey);
        if (error instanceof RpcError && error.data && error.data.restart_signup) restart(error);
      }
    }));
    email.focus();
  };

  stepPhone();
}

// ---- My Page -----------------------------------------------------------------------------

function dl(pairs) {
  return h("dl.facts", pairs.map(([k, v, cls]) => [h("dt", k), h(`dd${cls ? `.${cls}` : ""}`, v)]));
}

function outcomeText(entry) {
  const o = entry.outcome;
  if (o.outcome === "won") return t("me.outcome.won", { item: o.item });
  if (o.outcome === "runner_up") return t("me.outcome.runner_up", { rank: o.rank });
  return t(`me.outcome.${o.outcome}`);
}

/** My Page's sections a link may ask to show first (`#/me?show=payments`). */
const SHOWABLE = ["payments", "entries", "owned", "kakao"];

export async function renderMe(main, { query } = {}) {
  if (!requireLogin(main)) return;
  const show = query && query.get("show");
  if (SHOWABLE.includes(show)) main.dataset.focus = `#${show}`;
  const member = await me({ fresh: true });
  if (!member) {
    go("/login");
    return;
  }
  const profile = h("section.panel#profile", { "aria-labelledby": "profile-title" },
    h("h2#profile-title", t("me.profile")),
    dl([
      [t("me.name"), member.name], [t("me.email"), member.email], [t("me.phone"), member.phone],
      [t("me.gender"), t(`signup.gender.${member.gender}`)], [t("me.birthYear"), member.birth_year],
      [t("me.address"), member.address || t("common.none")],
      [t("me.account"), h("code", { title: member.account }, shortKey(member.account)), "account"],
      [t("me.since"), dateTime(member.member_since_ms)],
    ]),
    h("p.actions", h("a.button", { href: "#/me/edit" }, t("me.edit")),
      h("a.button.secondary#phone-change", { href: "#/me/phone" }, t("phone.title")),
      h("a.button.secondary#wallet-recovery", { href: "#/me/wallet" }, t("recovery.title")),
      h("button.secondary", { type: "button", on: { click: () => exportKey(member.account) } }, t("me.exportKey"))));

  const payments = h("section.panel#payments", { "aria-labelledby": "payments-title" },
    h("h2#payments-title", t("me.payments")), h("p.loading", t("common.loading")));
  const entries = h("section.panel#entries", { "aria-labelledby": "entries-title" },
    h("h2#entries-title", t("me.entries")), h("p.loading", t("common.loading")));
  const owned = h("section.panel#owned", { "aria-labelledby": "owned-title" },
    h("h2#owned-title", t("me.owned")), h("p.loading", t("common.loading")));
  const kakao = h("section.panel#kakao", { "aria-labelledby": "kakao-title" },
    h("h2#kakao-title", t("me.kakao")), h("p", t("me.kakaoNote")),
    h("p.actions", h("a.button#kakao-link", { href: "#/me/kakao" }, t("me.kakaoLink"))));
  const danger = h("section.panel.danger#withdraw", { "aria-labelledby": "withdraw-title" },
    h("h2#withdraw-title", t("me.withdraw")), h("p", t("me.withdrawNote")));
  const withdrawStatus = h("div", { "aria-live": "polite" });
  const withdrawButton = h("button.danger", { type: "button" }, t("me.withdrawConfirm"));
  withdrawButton.addEventListener("click", () => withdraw(member, withdrawButton, withdrawStatus));
  add(danger, withdrawStatus, h("p.actions", withdrawButton));

  const recommend = h("section.panel#me-recommend", { "aria-labelledby": "me-recommend-title" },
    h("h2#me-recommend-title", t("me.recommend")), h("p.small", t("me.recommendNote")));
  const recommendBody = h("div.section-body", h("p.loading", t("common.loading")));
  add(recommend, recommendBody);

  add(main, h("h1", t("me.title")), profile, recommend, payments, entries, owned, kakao, danger);

  const history = rpc("payment_history", [token(), { page: 1, page_size: 100 }]);
  await Promise.all([
    recommendations(recommendBody, member, 4).catch((e) => fill(recommendBody, status("error", errorMessage(e)))),
    history.then((page) => {
      const rows = page.items.map((e) => h("li.row-card",
        h("p.row-head",
          h("span.badge", t(`me.role.${e.role}`)), " ",
          h("span.badge.pay-state", { "data-status": e.status }, t(`pay.status.${e.status}`)),
          h("strong.amount", won(e.amount))),
        h("p", e.item ? h("a", { href: `#/item/${e.item.id}` }, `${e.item.brand} ${e.item.name} #${e.item.edition}/${e.item.edition_size}`) : `#${e.order}`),
        e.payment ? h("p.small", `${e.payment.provider} · `, h("code", e.payment.payment_key)) : null,
        e.status === "pending" && e.role === "buyer" ? h("p", h("a.button.primary.pay-link", { href: `#/order/${e.order}` }, t("me.pay")))
          : h("p", h("a.order-link", { href: `#/order/${e.order}`, "data-order": e.order }, t("me.orderDetails")))));
      fill(payments, payments.firstChild, rows.length ? h("ul.rows", rows) : h("p.empty", t("me.noPayments")));
      return page;
    }).catch((e) => fill(payments, payments.firstChild, status("error", errorMessage(e)))),

    rpc("raffle_myEntries", [token(), { page: 1, page_size: 100 }]).then((page) => {
      const items = page.items.map((e) => h("li",
        h("a", { href: `#/raffle/${e.raffle}` }, t("raffle.title", { id: e.raffle })), " · ",
        t(`raffle.phase.${e.phase}`), " · ", h("strong.outcome", { "data-outcome": e.outcome.outcome }, outcomeText(e))));
      fill(entries, entries.firstChild, items.length ? h("ul.list", items) : h("p.empty", t("me.noEntries")));
    }).catch((e) => fill(entries, entries.firstChild, status("error", errorMessage(e)))),

    history.then(async (page) => {
      // Items bought and still held: what the payment history shows, checked against the ledger.
      const candidates = page.items.filter((e) => e.role === "buyer" && e.status === "paid" && e.item);
      const held = [];
      for (const entry of candidates) {
        const view = await rpc("product_getItem", [entry.item.id]);
        if (view.item.owner === member.account && !held.some((i) => i.item.id === view.item.id)) held.push(view);
      }
      const items = held.map((v) => h("li",
        h("a", { href: `#/item/${v.item.id}` }, `${v.product.brand} ${v.product.name_ko || v.product.name_en}`),
        ` · ${t("product.piece", { k: v.item.edition, n: v.item.edition_size })} · ${t("product.serial")} ${v.item.serial}`));
      fill(owned, owned.firstChild, items.length ? h("ul.list", items) : h("p.empty", t("me.noOwned")));
    }).catch((e) => fill(owned, owned.firstChild, status("error", errorMessage(e)))),
  ]);
}

function exportKey(account) {
  const record = storedRecord(account);
  if (!record) {
    alert(t("wallet.missing"));
    return;
  }
  const blob = new Blob([JSON.stringify(record, null, 2)], { type: "application/json" });
  const link = h("a", { href: URL.createObjectURL(blob), download: `truffle-wallet-${account.slice(0, 8)}.json` });
  add(document.body, link);
  link.click();
  link.remove();
}

async function withdraw(member, button, statusEl) {
  const password = input({ type: "password", name: "password", autocomplete: "current-password" });
  const values = await dialog(t("me.withdraw"), t("me.withdrawNote"), [field(t("login.password"), password, { required: true })], t("me.withdrawConfirm"));
  if (!values) return;
  try {
    await busy(button, statusEl, () => rpc("account_delete", [token(), values.password]));
    forgetRecord(member.account);
    clearSession();
    flash(t("me.withdrawn"));
    go("/");
  } catch {
    // Shown by busy().
  }
}

// ---- Update ------------------------------------------------------------------------------

export async function renderUpdate(main) {
  if (!requireLogin(main)) return;
  const member = await me({ fresh: true });
  const name = input({ name: "name", autocomplete: "name", value: member.name });
  const gender = select("gender", [["female", t("signup.gender.female")], ["male", t("signup.gender.male")], ["other", t("signup.gender.other")]], member.gender);
  const address = input({ name: "address", autocomplete: "street-address", value: member.address || "" });
  const current = input({ type: "password", name: "current_password", autocomplete: "current-password" });
  const next = input({ type: "password", name: "new_password", autocomplete: "new-password", minlength: "10" });
  const statusEl = h("div.form-status", { "aria-live": "polite" });
  const button = h("button.primary", { type: "submit" }, t("update.submit"));
  const el = form("update-form", [
    field(t("signup.name"), name, { required: true }),
    field(t("signup.gender"), gender),
    field(`${t("signup.address")} (${t("common.optional")})`, address),
    h("fieldset", h("legend", t("update.newPassword")), h("p.note", t("update.passwordNote")),
      field(t("update.currentPassword"), current), field(t("update.newPassword"), next)),
    statusEl, button,
  ], async () => {
    const changes = {};
    if (name.value.trim() !== member.name) changes.name = name.value.trim();
    if (gender.value !== member.gender) changes.gender = gender.value;
    if (address.value.trim() !== (member.address || "")) changes.address = address.value.trim();
    if (next.value) {
      changes.new_password = next.value;
      changes.current_password = current.value;
    }
    try {
      await busy(button, statusEl, async () => {
        await rpc("account_update", [token(), changes]);
        if (changes.new_password) await rewrap(member.account, current.value, next.value);
      });
      await me({ fresh: true });
      flash(t("update.done"));
      go("/me");
    } catch {
      // Shown by busy().
    }
  });
  add(main, h("section.narrow", h("h1", t("update.title")), el));
}
