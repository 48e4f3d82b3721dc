// A raffle: prizes, rules, entering, the phase, the result (recomputed by the node and
// compared with the ledger's record), the winner's checkout; for its seller, revealing
// the committed secret and drawing.

import { dateTime, errorMessage, t, won } from "../i18n.js";
import { rpc } from "../rpc.js";
import { add, busy, fill, h, shortKey, status } from "../ui.js";
import { remembered, session, signAndSubmit, token } from "../session.js";
import { go } from "../nav.js";
import { liveRefundPanel } from "./refund.js";
import { missedRevealsNotice, paymentPanel, phaseText, productName, windowText } from "./common.js";
import { gallery, imagesVerdict } from "../images.js";
import { provenProduct, trustedGenesis } from "./catalog.js";
import { chatButton } from "./chat.js";
import { raffleBundleEntryCount, verifyRaffleBundle } from "../verify.js";
import { cancelledNotice, cancelRaffleButton } from "./seller-actions.js";

/** Most entries the node proves in one `proof_raffle` answer. */
const PROOF_PAGE = 500;

/** A raffle's proof in pages anchored at the first page's height (bounded by the count). */
async function raffleBundlePages(raffleId) {
  const first = await rpc("proof_raffle", [raffleId, { first: 0, limit: PROOF_PAGE }]);
  const pages = [first.bundle];
  let entries = raffleBundleEntryCount(first.bundle);
  let last = entries;
  while (last === PROOF_PAGE) {
    const next = await rpc("proof_raffle", [raffleId, { first: entries, limit: PROOF_PAGE, at: first.height }]);
    last = raffleBundleEntryCount(next.bundle);
    entries += last;
    pages.push(next.bundle);
  }
  return pages;
}

/**
 * The draw checked in this browser from the genesis alone: every input of the seed
 * (each validator's VRF proof, the closing block, the secret) and the winners.
 */
async function seedPanel(raffleId) {
  const panel = h("section.panel#raffle-seed", { "aria-live": "polite" }, h("h2", t("raffle.seed.title")));
  try {
    const trust = await trustedGenesis();
    const v = verifyRaffleBundle(trust.spec, raffleId, await raffleBundlePages(raffleId));
    if (!v.raffle.closing_block) return null;
    add(panel,
      status("ok", v.seed ? t("raffle.seed.verified") : t("raffle.seed.inputsVerified")),
      h("dl.facts.seed-inputs",
        h("dt", t("raffle.seed.closing")), h("dd", `#${v.raffle.closing_block.height} ${v.raffle.closing_block.hash.slice(0, 16)}…`),
        h("dt", t("raffle.seed.contributions", { n: v.contributions.length, of: v.validators.length })),
        h("dd", h("ul.contributions", v.contributions.map((c) => h("li.contribution", { title: c.output },
          `${shortKey(c.validator)} ✓ ${c.output.slice(0, 16)}…`)),
          v.missing.map((k) => h("li.missing", `${shortKey(k)} — ${t("raffle.seed.missing")}`)))),
        h("dt", t("raffle.seed.secret")), h("dd", v.raffle.revealed_secret ? `${v.raffle.revealed_secret.slice(0, 16)}… ✓` : "—"),
        v.seed ? [h("dt", t("raffle.seed.seed")), h("dd.seed", v.seed)] : null));
  } catch (error) {
    add(panel, status("error", t("raffle.seed.failed", { reason: errorMessage(error) })));
  }
  return panel;
}

function entryOutcome(entry) {
  const o = entry.outcome;
  if (o.outcome === "won") return status("ok", t("raffle.won"));
  if (o.outcome === "runner_up") return status("info", t("raffle.runnerUp", { rank: o.rank }));
  if (o.outcome === "not_selected") return status("info", t("raffle.lost"));
  if (o.outcome === "waiting") return status("info", `${t("raffle.entered")} ${t("raffle.waiting")}`);
  if (o.outcome === "void") return status("error", t("raffle.voidEntry"));
  // The seller's reason is shown above (#raffle-cancelled).
  if (o.outcome === "raffle_cancelled") return status("info", t("me.outcome.raffle_cancelled"));
  return status("info", t("me.outcome.cancelled"));
}

/** Why a raffle is void (or is about to be): the seller withheld its committed secret. */
function voidNotice(raffle) {
  if (raffle.status !== "void" && raffle.phase !== "missed_reveal") return null;
  return h("section.panel#raffle-void", { role: "status" },
    status("error", t(raffle.status === "void" ? "raffle.void" : "raffle.missedReveal", { h: raffle.reveal_deadline ?? "" })));
}

export async function renderRaffle(main, { params: [id], isCurrent }) {
  const raffleId = Number(id);
  const raffle = await rpc("raffle_get", [raffleId]);
  const prizes = await Promise.all(raffle.spec.items.map((item) => rpc("product_getItem", [item]).catch(() => null)));
  const first = prizes.find(Boolean);
  const standing = await rpc("seller_get", [raffle.seller]).catch(() => null);
  const actions = h("div.actions#raffle-actions", { "aria-live": "polite" });
  const result = h("section.panel#raffle-result", { "aria-labelledby": "result-title", hidden: true });
  // The first prize's pictures, checked against its product as proven from the genesis.
  const hashes = first ? first.product.image_hashes : [];
  const images = gallery(hashes, hashes.length
    ? provenProduct(first.item.id).then((verdict) => verdict.product.image_hashes)
    : Promise.resolve([]), { alt: first ? productName(first.product) : "" });
  const imagesNote = h("div#images-verdict", { "aria-live": "polite" });
  add(main, 
    h("h1", first ? `${productName(first.product)}` : t("raffle.title", { id: raffleId })),
    images.el, imagesNote,
    h("p.sub", t("raffle.title", { id: raffleId }), " · ", h("span.phase", { "data-phase": raffle.phase }, phaseText(raffle))),
    h("dl.facts",
      h("dt", t("raffle.price")), h("dd", won(raffle.spec.price)),
      h("dt", t("raffle.window")), h("dd.window", windowText(raffle.spec.window)),
      h("dt", t("raffle.entryCount")), h("dd.entry-count", String(raffle.entry_count)),
      h("dt", t("raffle.prizes", { n: raffle.spec.items.length })),
      h("dd", h("ul.inline", prizes.map((p, i) => h("li", p
        ? h("a", { href: `#/item/${p.item.id}` }, `${p.product.brand} ${t("product.piece", { k: p.item.edition, n: p.item.edition_size })}`)
        : `#${raffle.spec.items[i]}`)))),
      raffle.spec.min_age ? [h("dt", t("raffle.age")), h("dd", t("raffle.minAge", { n: raffle.spec.min_age }))] : null,
      h("dt", t("product.seller")), h("dd.seller", h("span", { title: raffle.seller }, shortKey(raffle.seller)),
        missedRevealsNotice(standing))),
    voidNotice(raffle), cancelledNotice(raffle), actions, result);

  fill(imagesNote, imagesVerdict(await images.done));
  const account = session() && session().account;
  let mine = null;
  if (account) {
    const entries = await rpc("raffle_myEntries", [token(), { page: 1, page_size: 100 }]);
    mine = entries.items.find((e) => e.raffle === raffleId) || null;
  }
  if (!isCurrent()) return;

  // Entering.
  if (mine) {
    add(actions, entryOutcome(mine));
  } else if (raffle.phase === "accepting_entries") {
    if (!account) {
      add(actions, h("p", h("a.button.primary", { href: "#/login" }, t("raffle.loginToEnter"))));
    } else {
      const button = h("button.primary#enter", { type: "button" }, t("raffle.enter"));
      const statusEl = h("div");
      button.addEventListener("click", async () => {
        try {
          await busy(button, statusEl, () => signAndSubmit({ enter_raffle: { raffle: raffleId } }), t("wallet.signing"));
          go(`/raffle/${raffleId}`);
        } catch {
          // Shown by busy().
        }
      });
      add(actions, button, statusEl);
    }
  }

  // The seller's part: cancel before the close; reveal the committed secret, then draw.
  if (account && account === raffle.seller && raffle.status !== "drawn" && raffle.status !== "void" && raffle.status !== "cancelled") {
    const secrets = remembered("raffle-secrets");
    const statusEl = h("div");
    const cancel = cancelRaffleButton(raffle, statusEl, () => go(`/raffle/${raffleId}`));
    if (cancel) add(actions, h("p.actions", cancel), statusEl);
    if (raffle.phase === "awaiting_reveal" && !raffle.revealed_secret) {
      if (secrets[raffleId]) {
        const reveal = h("button.primary#reveal", { type: "button" }, t("raffle.reveal"));
        reveal.addEventListener("click", async () => {
          try {
            await busy(reveal, statusEl, () => signAndSubmit({ reveal_raffle_secret: { raffle: raffleId, secret: secrets[raffleId] } }), t("wallet.signing"));
            go(`/raffle/${raffleId}`);
          } catch {
            // Shown by busy().
          }
        });
        add(actions, reveal, statusEl);
      } else {
        add(actions, status("info", t("raffle.secretMissing")));
      }
    }
    if (raffle.phase === "ready_to_draw") {
      const draw = h("button.primary#draw", { type: "button" }, t("raffle.draw"));
      draw.addEventListener("click", async () => {
        try {
          await busy(draw, statusEl, () => signAndSubmit({ draw_raffle: { raffle: raffleId } }), t("wallet.signing"));
          go(`/raffle/${raffleId}`);
        } catch {
          // Shown by busy(); the node may have drawn it already.
        }
      });
      add(actions, draw, statusEl);
    }
  }

  // Every input of the seed, checked here.
  if (raffle.closing_block) {
    const panel = await seedPanel(raffleId);
    if (!isCurrent()) return;
    if (panel) add(main, panel);
  }

  // The result, and the winner's checkout.
  if (raffle.status === "drawn") {
    result.hidden = false;
    add(result, h("h2#result-title", t("raffle.result")));
    try {
      const outcome = await rpc("raffle_result", [raffleId]);
      const winners = (outcome.recorded && outcome.recorded.winners) || [];
      add(result, 
        outcome.matches === true ? status("ok", t("raffle.seedCheck")) : null,
        outcome.matches === false ? status("error", t("raffle.seedMismatch")) : null,
        h("h3", t("raffle.winners")),
        h("ol.winners", winners.map((w) => h("li", { title: w }, w === account ? `${t("common.you")} (${shortKey(w)})` : shortKey(w)))));
    } catch (error) {
      add(result, status("error", errorMessage(error)));
    }
    if (mine && mine.outcome.outcome === "won") {
      const history = await rpc("payment_history", [token(), { page: 1, page_size: 100 }]);
      const order = history.items.find((e) => e.role === "buyer" && e.source && e.source.kind === "raffle"
        && e.source.raffle === raffleId && e.item && e.item.id === mine.outcome.item);
      if (order) add(result, paymentPanel(order.order));
    }
  }
}

export async function renderOrder(main, { params: [id], query }) {
  add(main, h("h1", t("pay.title")), paymentPanel(Number(id), { returned: query }), liveRefundPanel(Number(id)),
    session() ? h("p.actions", chatButton({ order: Number(id) }, t("chat.orderChat"))) : null,
    h("p", h("a", { href: "#/me" }, t("nav.me"))));
}

export { dateTime };
