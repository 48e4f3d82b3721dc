// The single-page app: layout, language switch and hash routes (`#/search?q=…`), so the
// node serves one page at `/` and JSON-RPC stays on `POST /`.

import { lang, setLang, t } from "./i18n.js";
import { add, fill, h, showError, status } from "./ui.js";
import { clearSession, session, token } from "./session.js";
import { rpc } from "./rpc.js";
import { flash, go, setRenderer, takeFlash } from "./nav.js";
import { renderHome } from "./pages/home.js";
import { renderLogin, renderMe, renderSignup, renderUpdate } from "./pages/account.js";
import { renderItem, renderProduct, renderSearch } from "./pages/catalog.js";
import { renderOrder, renderRaffle } from "./pages/raffle.js";
import { renderSeller } from "./pages/seller.js";
import { renderPhone, renderReset, renderWallet } from "./pages/recovery.js";
import { renderAdmin } from "./pages/admin.js";
import { renderChat, renderChats } from "./pages/chat.js";
import { connect as connectChat, unreadCount } from "./live.js";
import { KAKAO_ROUTE, renderKakao } from "./pages/kakao.js";
import { takeReturn } from "./pay-sdk.js";

const ROUTES = [
  [/^\/?$/, renderHome],
  [/^\/login$/, renderLogin],
  [/^\/signup$/, renderSignup],
  [/^\/me$/, renderMe],
  [/^\/me\/edit$/, renderUpdate],
  [/^\/me\/kakao$/, renderKakao],
  [/^\/search$/, renderSearch],
  [/^\/product\/(\d+)$/, renderProduct],
  [/^\/item\/(\d+)$/, renderItem],
  [/^\/raffle\/(\d+)$/, renderRaffle],
  [/^\/seller$/, renderSeller],
  [/^\/order\/(\d+)$/, renderOrder],
  [/^\/chat$/, renderChats],
  [/^\/chat\/([0-9a-f]{64})$/, renderChat],
  [/^\/reset$/, renderReset],
  [/^\/me\/phone$/, renderPhone],
  [/^\/me\/wallet$/, renderWallet],
  [/^\/admin$/, renderAdmin],
];

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { path, query: new URLSearchParams(query) };
}

function navLink(href, label, current) {
  return h("a", { href: `#${href}`, "aria-current": current ? "page" : false }, label);
}

function header(path) {
  const loggedIn = !!session();
  const nav = h("nav", { "aria-label": t("app.name") },
    h("ul",
      h("li", navLink("/", t("nav.main"), path === "/" || path === "")),
      h("li", navLink("/search", t("nav.search"), path === "/search")),
      loggedIn ? h("li", navLink("/me", t("nav.me"), path.startsWith("/me") && path !== KAKAO_ROUTE)) : null,
      loggedIn ? h("li", navLink(KAKAO_ROUTE, t("nav.kakao"), path === KAKAO_ROUTE)) : null,
      loggedIn ? h("li", navLink("/seller", t("nav.seller"), path === "/seller")) : null,
      loggedIn ? h("li", chatLink(path)) : null,
      loggedIn
        ? h("li", h("button.link#logout", { type: "button", on: { click: logout } }, t("nav.logout")))
        : h("li", navLink("/login", t("nav.login"), path === "/login")),
      loggedIn ? null : h("li", navLink("/signup", t("nav.signup"), path === "/signup"))));
  const langButton = h("button.lang#lang", {
    type: "button",
    lang: lang() === "ko" ? "en" : "ko",
    "aria-label": t("nav.language.label"),
    on: { click: () => { setLang(lang() === "ko" ? "en" : "ko"); render(); } },
  }, t("nav.language"));
  return h("header.site",
    h("a.skip", { href: "#main", on: { click: (e) => { e.preventDefault(); document.getElementById("main").focus(); } } }, t("nav.skip")),
    h("div.bar",
      h("a.brand", { href: "#/" }, h("span.logo", { "aria-hidden": "true" }, "◆"), t("app.name")),
      langButton),
    nav);
}

/** The header's chat link with the member's unread count (kept live by live.js). */
function chatLink(path) {
  const count = unreadCount();
  const link = navLink("/chat", t("nav.chat"), path.startsWith("/chat"));
  link.id = "nav-chat";
  link.append(" ", h("span.unread-count", {
    "data-chat-unread": "", "data-count": String(count), hidden: count === 0, "aria-label": t("chat.unreadLabel"),
  }, count > 0 ? String(count) : ""));
  return link;
}

async function logout() {
  const current = token();
  clearSession();
  if (current) {
    try {
      await rpc("auth_logout", [current]);
    } catch {
      // The session is gone from this tab either way.
    }
  }
  flash(t("logout.done"));
  go("/");
}

let renderCount = 0;

async function render() {
  // The end-to-end tests set this to hold a render back, which reproduces a slow page
  // deterministically (web/e2e/run.mjs); nothing else sets it.
  if (window.truffleTestHold) await window.truffleTestHold;
  const { path, query } = parseHash();
  const rendering = location.hash;
  document.documentElement.lang = lang();
  document.title = t("app.name");
  const ticket = ++renderCount;
  // Busy until the page's data is in: a finished page and the one before it can have the
  // same elements, so screen readers and the end-to-end tests go by this, and by the
  // render number, to know which page they are reading.
  const main = h("main#main", { tabindex: "-1", "data-render": ticket, "aria-busy": "true" });
  const flashEl = h("div.flash", { "aria-live": "polite" });
  const flashText = takeFlash();
  if (flashText) add(flashEl, status("ok", flashText));
  fill(document.body, header(path), flashEl, main,
    h("footer.site", h("p", t("app.tagline")), h("p.chain#chain-info"),
      h("p.small", h("a#admin-link", { href: "#/admin" }, t("nav.admin")))));
  connectChat();
  const route = ROUTES.find(([pattern]) => pattern.test(path));
  try {
    if (!route) {
      add(main, h("h1", "404"));
    } else {
      const match = route[0].exec(path);
      await route[1](main, { params: match.slice(1), query, isCurrent: () => ticket === renderCount });
    }
  } catch (error) {
    if (ticket === renderCount) showError(main, error);
  }
  // A page that sent the browser elsewhere (go()) is not the finished page: the next
  // render is.
  if (ticket === renderCount && location.hash === rendering) main.removeAttribute("aria-busy");
  // A page may name the part to show first (My Page's `?show=payments`); else its heading.
  const focusTarget = main.dataset.focus && main.querySelector(main.dataset.focus);
  if (ticket === renderCount && focusTarget) {
    focusTarget.tabIndex = -1;
    focusTarget.focus({ preventScroll: true });
    focusTarget.scrollIntoView({ block: "start" });
  } else if (ticket === renderCount && renderCount > 1) {
    const heading = main.querySelector("h1");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: false });
    }
  }
  footerInfo();
}

async function footerInfo() {
  try {
    const version = await rpc("system_version");
    const el = document.getElementById("chain-info");
    if (el) el.textContent = `${version.chain_name} · ${version.chain_id.slice(0, 12)}… · truffle ${version.version}`;
  } catch {
    // The footer is informational only.
  }
}

setRenderer(render);
// Back from a payment provider's page: show the order, which confirms the payment.
takeReturn();
window.addEventListener("hashchange", render);
document.documentElement.lang = lang();
render();
