// Main page: banners (clicks go through /ads/{id}/click), open raffles, recommendations
// for the logged-in member (also on My Page), popular items (the node's `product_popular`).

import { lang, t } from "../i18n.js";
import { isMissingMethod, rpc } from "../rpc.js";
import { add, fill, h, showError } from "../ui.js";
import { me, token } from "../session.js";
import { cardList, productCard, raffleCard } from "./common.js";

function section(id, title, note) {
  const body = h("div.section-body", h("p.loading", t("common.loading")));
  const el = h(`section.block#${id}`, { "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title), note ? h("p.note", note) : null, body);
  return { el, body, noteSlot: el };
}

function banner(ad) {
  const img = h("img", { src: ad.image_url, alt: "", loading: "lazy" });
  img.addEventListener("error", () => img.remove());
  // The click path counts the click and redirects to the landing page fixed on the ledger.
  return h("li.banner",
    h("a", { href: ad.click_url, "data-ad": ad.id },
      img,
      h("span.banner-label", t("ads.label")),
      h("span.banner-title", ad.title)));
}

// The node explains each pick in Korean (reason.text); other languages translate the
// machine-readable kind.
function reasonText(reason) {
  if (!reason) return null;
  if (lang() === "ko" && reason.text) return reason.text;
  if (reason.kind === "cohort") {
    return t("main.reason.cohort", { gender: t(`signup.gender.${reason.gender}`), age: reason.age_band });
  }
  if (reason.kind === "bought_together") return t("main.reason.bought_together");
  if (reason.kind === "similar") return t("main.reason.similar");
  if (reason.kind === "new") return t("main.reason.new");
  return t("main.reason.popular");
}

/**
 * Recommendations into `body`: reco_forMe (cohort, bought-together, similar, from the
 * member's history) for a member, reco_forVisitor for a guest; on a node without them,
 * the newest registrations, and the page says so. The main page and My Page show them.
 */
export async function recommendations(body, member, size = 6) {
  let note = null;
  let cards;
  try {
    const page = member
      ? await rpc("reco_forMe", [token(), 1, size])
      : await rpc("reco_forVisitor", [null, null, 1, size]);
    cards = page.items.map((r) => productCard({ ...r, product_id: r.product }, { reason: reasonText(r.reason) }));
    if (!member) note = t("main.recommend.visitor");
  } catch (error) {
    if (!isMissingMethod(error)) throw error;
    note = member ? t("main.recommend.fallback") : t("main.recommend.guest");
    const results = await rpc("product_search", [{ text: "", sort: "newest", page: 1, page_size: size }]);
    cards = results.hits.map((hit) => productCard(hit.product));
  }
  fill(body, note ? h("p.note.fallback", note) : null, cardList(cards, t("search.none")));
}

export async function renderHome(main) {
  add(main, h("h1.visually-hidden", t("app.name")));
  const hero = h("div.hero", h("p.hero-title", t("app.name")), h("p.hero-text", t("app.tagline")),
    h("form.hero-search", { role: "search", on: { submit: (e) => {
      e.preventDefault();
      const q = e.target.elements.q.value.trim();
      location.hash = `/search?q=${encodeURIComponent(q)}`;
    } } },
    h("label.visually-hidden", { for: "home-q" }, t("search.query")),
    h("input#home-q", { name: "q", type: "search", placeholder: t("search.placeholder") }),
    h("button", { type: "submit" }, t("search.button"))));
  const banners = section("banners", t("main.banners"));
  const raffles = section("raffles", t("main.raffles"));
  const recommend = section("recommend", t("main.recommend"));
  const popular = section("popular", t("main.popular"), t("main.popular.fromNode"));
  add(main, hero, banners.el, raffles.el, recommend.el, popular.el);

  let member = null;
  try {
    member = await me();
  } catch {
    // Shown as a guest.
  }

  const tasks = [
    (async () => {
      const viewer = member ? { gender: member.gender, birth_year: member.birth_year } : null;
      const ads = await rpc("ad_list", ["main", viewer]);
      fill(banners.body, ads.length ? h("ul.banners", ads.map(banner)) : h("p.empty", t("common.none")));
    })().catch((e) => showError(banners.body, e)),

    (async () => {
      const page = await rpc("raffle_list", ["open", { page: 1, page_size: 6 }]);
      const cards = await Promise.all(page.items.map(raffleCard));
      fill(raffles.body, cardList(cards, t("main.noRaffles")));
    })().catch((e) => showError(raffles.body, e)),

    recommendations(recommend.body, member).catch((e) => showError(recommend.body, e)),

    (async () => {
      // Ranked by the node over every product it indexed (pieces sold, then an open
      // raffle, then the newest), kept current with every block.
      const results = await rpc("product_popular", [6]);
      fill(popular.body, cardList(results.hits.map((hit) => productCard(hit.product)), t("search.none")));
    })().catch((e) => showError(popular.body, e)),
  ];
  await Promise.all(tasks);
}
