// End-to-end steps of issue 24 (the seller centre from the ledger, resale, raffle
// cancellation, the raffle form's limits, the English pages), run by run.mjs with its
// helpers (`h`) after the main flows: the buyer owns the piece it won (`itemId`), the
// seller registered a two-piece edition (`itemId`, `itemId + 1`) and raffled the first.

/**
 * The seller logs in from a browser that never saw it (its own context: no
 * localStorage, no wallet key) and finds its products, raffles (with entrant counts)
 * and sales: everything comes from the ledger through the node.
 */
async function freshBrowserSellerCentre(h, { seller, productName, raffleId }) {
  await h.step("the seller centre from a fresh browser: products, raffles with entrants, sales from the ledger", async () => {
    const other = await h.chromium.launch({ executablePath: h.CHROMIUM, headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"] });
    try {
      const context = await other.newContext({ viewport: { width: 390, height: 844 }, locale: "ko-KR", timezoneId: "Asia/Seoul" });
      const page = await context.newPage();
      page.on("pageerror", (error) => h.pageErrors.push(`fresh seller browser: ${error.message}`));
      page.setDefaultTimeout(20_000);
      await page.goto(`${h.base()}/#/login`);
      await page.waitForFunction(h.renderedAfter, 0);
      await page.getByLabel("이메일").fill(seller.email);
      await page.getByLabel("비밀번호").fill(h.PASSWORD);
      await page.getByRole("button", { name: "로그인" }).last().click();
      // No wallet key in this browser: the login offers to import one; reading needs none.
      await page.waitForSelector("#login-form .status.ok");
      assert(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("truffle.products")).length) === 0,
        "no product list kept in this browser");
      await h.open(page, "/seller");
      const product = page.locator("#my-products [data-product]", { hasText: productName });
      assert(await product.count() === 1, "the registered edition, found by seller in the index");
      assert((await product.locator(".pieces-line").textContent()).includes("한정 2개"), "its piece count");
      const raffle = page.locator(`#my-raffles [data-raffle="${raffleId}"]`);
      assert(await raffle.count() === 1, "the seller's raffle, listed by seller");
      assert((await raffle.locator(".entrants").textContent()).includes("응모 1명"), "its entrant count");
      assert(await page.locator("#sales .pay-state[data-status=paid]").count() > 0, "the paid sale");
      assert(await page.locator("#seller-help").isVisible(), "the page says where its lists come from");
      await page.screenshot({ path: h.outPath("30-seller-centre-fresh-browser.png"), fullPage: true });
    } finally {
      await other.close();
    }
  });
}

function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

/** The buyer lists the piece it won for resale; the seller buys it back through the sandbox. */
async function resale(h, { buyerPage, sellerPage, itemId, seller }) {
  await h.step("resale: the owner lists a piece on its page, another member buys it", async () => {
    await h.open(buyerPage, `/item/${itemId}`, { timeout: 30_000 });
    const form = buyerPage.locator("#resale-form");
    assert(await form.isVisible(), "the owner's resale form");
    await buyerPage.locator("#resale-price").fill("210000");
    await buyerPage.locator("#resale-list").click();
    // Once the ledger took it, the page is drawn again with the piece listed.
    await h.signed(buyerPage, buyerPage.locator("#resale-unlist"));
    const view = await h.rpc("product_getItem", [itemId]);
    assert(view.item.listing_price === 210000, `listed on the ledger: ${JSON.stringify(view.item)}`);
    assert(await buyerPage.locator("#resale-unlist").isVisible(), "the unlist button once listed");
    await h.shot(buyerPage, "31-resale-listed");

    await h.open(sellerPage, `/item/${itemId}`, { timeout: 30_000 });
    assert(await sellerPage.locator("#resale-form").count() === 0, "no resale form for someone else's piece");
    await sellerPage.locator("#item-buy").click();
    await h.signed(sellerPage, sellerPage.locator(".pay-start"));
    await h.payInSandbox(sellerPage);
    const after = await h.rpc("product_getItem", [itemId]);
    assert(after.item.owner === seller.account && after.item.listing_price === null, `the buyer of the resale owns it: ${JSON.stringify(after.item)}`);
  });
}

/**
 * The raffle form refuses a reveal window under the chain's minimum before signing;
 * the seller raffles the second piece, the buyer enters, the seller cancels with a
 * reason; the entrant sees it on the raffle page and on My Page; the prize is free again.
 */
async function cancelRaffle(h, { buyerPage, sellerPage, itemId }) {
  const prize = itemId + 1;
  let cancelledId = null;
  await h.step("the raffle form checks every setting against the chain's limits", async () => {
    await h.open(sellerPage, "/seller");
    const form = sellerPage.locator("#raffle-form");
    await form.locator("input[name=items]").fill(`${prize}, ${prize}`);
    await form.getByLabel("응모 기간(분)").fill("0.1");
    await form.getByLabel("당첨자 결제 금액(원)").fill("99000");
    await form.getByLabel("비밀값 공개 기한(블록)").fill("2");
    await form.getByLabel("당첨자 결제 기한(시간)").fill("1000");
    await form.getByRole("button", { name: "래플 만들기" }).click();
    for (const field of ["items", "minutes", "reveal_blocks", "payment_hours"]) {
      assert(await form.locator(`.field-error[data-field=${field}]`).count() === 1, `the ${field} error`);
    }
    assert((await form.locator(".field-error[data-field=reveal_blocks]").textContent()).includes("5블록 이상"), "the chain's reveal minimum");
    await h.shot(sellerPage, "32-raffle-form-errors");
    await form.locator("input[name=items]").fill(String(prize));
    await form.getByLabel("응모 기간(분)").fill("30");
    await form.getByLabel("비밀값 공개 기한(블록)").fill("600");
    await form.getByLabel("당첨자 결제 기한(시간)").fill("48");
    await form.getByRole("button", { name: "래플 만들기" }).click();
    await h.signed(sellerPage, sellerPage.locator("#new-raffle"));
    cancelledId = Number((await sellerPage.locator("#new-raffle").getAttribute("href")).split("/").pop());
    const created = await h.rpc("raffle_get", [cancelledId]);
    assert(created.spec.reveal_blocks === 600 && created.spec.payment_window_ms === 48 * 3_600_000, `the form's settings on the ledger: ${JSON.stringify(created.spec)}`);
  });

  await h.step("a seller cancels a raffle before it closes; the entrant sees why", async () => {
    await h.open(buyerPage, `/raffle/${cancelledId}`);
    await buyerPage.locator("#enter").click();
    await h.signed(buyerPage, buyerPage.locator("#raffle-actions .status", { hasText: "응모했습니다" }));

    await h.open(sellerPage, "/seller");
    const row = sellerPage.locator(`#my-raffles [data-raffle="${cancelledId}"]`);
    assert((await row.locator(".entrants").textContent()).includes("응모 1명"), "the entrant count in the seller centre");
    await row.locator(".cancel-raffle").click();
    const reason = `입고 지연으로 취소합니다 ${h.RUN}`;
    const dialog = sellerPage.locator("dialog[open]");
    await dialog.getByLabel(/취소 사유/).fill(reason);
    await dialog.getByRole("button", { name: "래플 취소" }).click();
    await h.signed(sellerPage, sellerPage.locator(`#my-raffles [data-raffle="${cancelledId}"] .phase[data-phase=cancelled]`));
    await h.shot(sellerPage, "33-raffle-cancelled-seller");
    const record = await h.rpc("raffle_get", [cancelledId]);
    assert(record.status === "cancelled" && record.cancellation.reason === reason, `cancelled on the ledger: ${JSON.stringify(record)}`);
    assert((await h.rpc("product_getItem", [prize])).item.lock.kind === "free", "the prize is free again");

    await h.open(buyerPage, `/raffle/${cancelledId}`);
    assert((await buyerPage.locator("#raffle-cancelled").textContent()).includes(reason), "the reason on the raffle page");
    await h.shot(buyerPage, "34-raffle-cancelled-entrant");
    await h.open(buyerPage, "/me");
    assert(await buyerPage.locator("#entries .outcome[data-outcome=raffle_cancelled]").count() === 1, "the cancelled entry on My Page");
  });
  return cancelledId;
}

/** The English pages: main, seller centre, a cancelled raffle and the item's resale panel. */
async function englishPages(h, { buyerPage, sellerPage, cancelledId }) {
  await h.step("the English pages: main, My Page, the seller centre, a cancelled raffle", async () => {
    await h.open(buyerPage, "/");
    await h.rendered(buyerPage, () => buyerPage.getByRole("button", { name: "English" }).click());
    assert(await buyerPage.locator("#popular-title").textContent() === "Popular", "the main page in English");
    assert((await buyerPage.locator("#popular .note").textContent()).includes("counted by the node"), "where popular comes from");
    await h.open(buyerPage, "/me");
    assert(await buyerPage.locator("#me-recommend-title").textContent() === "Recommended", "My Page's recommendations in English");
    await h.open(buyerPage, `/raffle/${cancelledId}`);
    assert((await buyerPage.locator("#raffle-cancelled").textContent()).includes("The seller cancelled this raffle"), "the cancellation in English");
    await h.shot(buyerPage, "35-raffle-cancelled-english");
    // The language is the browser's (localStorage): the seller's tab reads it too.
    await h.open(sellerPage, "/seller");
    assert(await sellerPage.locator("#my-raffles-title").textContent() === "My raffles", "the seller centre in English");
    assert(await sellerPage.locator("#raffle-form").getByLabel("Reveal window (blocks)").isVisible(), "the raffle form in English");
    await h.shot(sellerPage, "36-seller-centre-english");
    await h.rendered(buyerPage, () => buyerPage.getByRole("button", { name: "한국어" }).click());
    assert(await buyerPage.evaluate(() => document.documentElement.lang) === "ko", "back in Korean");
  });
}

/** Runs the steps of issue 24 in order. */
export async function sellerSteps(h, ctx) {
  await freshBrowserSellerCentre(h, ctx);
  const cancelledId = await cancelRaffle(h, ctx);
  await resale(h, ctx);
  await englishPages(h, { ...ctx, cancelledId });
}
