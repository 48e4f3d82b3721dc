// End-to-end payments through the real providers' checkouts (issue 25), in Chromium,
// against local fakes of PortOne V2 and Toss Payments (`fake-gateway`, a binary of the
// test crate that serves truffle_payments::fakes on 127.0.0.1).
//
// For each provider: a fake gateway, then a `truffle dev` node configured for it; a
// buyer signs up and orders a listed demo piece, and the page loads the provider's SDK
// from the fake, which takes the browser to the fake's payment window and back.
//
// - PortOne: order → SDK `requestPayment` → payment window → paid: the fake sends a
//   Standard Webhooks-signed `Transaction.Paid`, the node fetches the payment from the
//   fake's API and settles; the browser comes back and `payment_confirm` finds it paid.
//   Then a cancelled payment window (back with `code`), and a payment of another amount
//   (the buyer's browser edits it): the node cancels it at PortOne and the order fails.
// - Toss: order → widget → payment window cancelled → fail page; paying again → success
//   page → `payment_confirm` → the node confirms with Basic auth and an Idempotency-Key →
//   settled. Then an authorization of another amount: the node cancels it at Toss and the
//   order fails.
//
// Every outcome is read from the node (order state, the piece's owner) and from the
// fake (`/fake/state`: its payments, the API calls it received, its webhooks).
//
// The runner (run.mjs) finds the fake-gateway binary: FAKE_GATEWAY_BIN, else
// debug/fake-gateway in the cargo target folder (`cargo build --workspace --bins`).

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

/** Starts `fake-gateway <gateway> <args>`; resolves `{ url, setWebhookUrl, stop }`. */
async function startFake(bin, gateway, args) {
  const child = spawn(bin, [gateway, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  const lines = [];
  const waiters = [];
  const stderr = [];
  createInterface({ input: child.stderr }).on("line", (line) => stderr.push(line));
  createInterface({ input: child.stdout }).on("line", (line) => {
    lines.push(line);
    for (const waiter of waiters.splice(0)) waiter();
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const nextLine = async (pattern, what) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = lines.find((line) => pattern.test(line));
      if (found) return found;
      if (child.exitCode !== null) throw new Error(`fake ${gateway} exited (${child.exitCode}): ${stderr.join("\n")}`);
      if (Date.now() > deadline) throw new Error(`fake ${gateway}: no ${what} in 20 s: ${stderr.join("\n")}`);
      await new Promise((resolve) => { waiters.push(resolve); setTimeout(resolve, 200); });
    }
  };
  const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(await nextLine(/^fake \w+: http/, "address"))[1];
  return {
    url,
    async setWebhookUrl(webhook) {
      child.stdin.write(`webhook-url ${webhook}\n`);
      await nextLine(/^webhook-url set$/, "acknowledgement");
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.stdin.end(); // The fake exits when its input closes.
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** What the fake holds: `{ payments, seen, deliveries }`. */
async function fakeState(fake) {
  return (await fetch(`${fake.url}/fake/state`)).json();
}

/**
 * Runs the PortOne and Toss flows. `ctx` is the runner's toolkit: step, assert, until,
 * rpc, open, rendered, signed, signup, shot, newTab, log, restartNode(args) (stops the
 * node and starts `truffle dev` with `args`; resolves its URL), base() (the node's URL),
 * FAKE_BIN (the fake-gateway binary), RUN (this run's tag), OUT.
 */
export async function providerSteps(ctx) {
  const secrets = mkdtempSync(path.join(tmpdir(), "truffle-e2e-providers-"));
  const fakes = [];
  const write = (name, text) => {
    const file = path.join(secrets, name);
    writeFileSync(file, `${text}\n`, { mode: 0o600 });
    return file;
  };
  try {
    await portoneSteps(ctx, write, fakes);
    await tossSteps(ctx, write, fakes);
  } finally {
    for (const fake of fakes) await fake.stop().catch(() => {});
    rmSync(secrets, { recursive: true, force: true });
  }
}

/** A new tab with a signed-up buyer of this node. */
async function buyerOn(ctx, label) {
  const page = await ctx.newTab(label);
  const who = { role: `${label}-buyer`, name: `${label}구매자${ctx.RUN}`, email: `${label}-${ctx.RUN.toLowerCase()}@e2e.example`,
    gender: "female", birthYear: 1993 };
  await ctx.signup(page, who, { failFirst: false });
  return { page, who };
}

/** The buyer orders the cheapest listed demo piece not yet ordered; resolves `{ orderId, item, amount }`. */
async function orderPiece(ctx, page, skip) {
  const results = await ctx.rpc("product_search", [{ text: "", filters: { availability: "available" }, sort: "price_asc", page: 1, page_size: 20 }]);
  const hit = results.hits.find((h) => !skip.has(h.product_id));
  ctx.assert(hit, "a listed demo product");
  skip.add(hit.product_id);
  await ctx.open(page, `/product/${hit.product_id}`);
  await page.locator(".pieces button", { hasText: "구매하기" }).first().click();
  await ctx.signed(page, page.locator(".pay-start"));
  const orderId = Number((await page.locator(".pay h2").first().getAttribute("id")).replace("pay-", ""));
  const order = await ctx.rpc("order_get", [orderId]);
  ctx.assert(order.status === "pending", `a pending order: ${JSON.stringify(order)}`);
  return { orderId, item: order.item, amount: order.amount };
}

/** Clicks `button` and waits for the fake's payment window. */
async function toCheckout(page, button, fake) {
  await Promise.all([page.waitForURL((url) => url.href.startsWith(`${fake.url}/fake/checkout`)), button.click()]);
  await page.locator("#fake-checkout").waitFor();
}

/** In the payment window: pays (or cancels) and waits to be back on the node's order page. */
async function leaveCheckout(ctx, page, action, orderId) {
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(ctx.base()), { timeout: 40_000 }),
    page.getByRole("button", { name: action, exact: true }).click(),
  ]);
  // The page turns the provider's return address into the order's route.
  await page.waitForFunction((id) => location.hash.startsWith(`#/order/${id}`), orderId);
}

async function ownerOf(ctx, item) {
  return (await ctx.rpc("product_getItem", [item])).item.owner;
}

/** The order is paid and its piece the buyer's, on the ledger and on My Page. */
async function assertOwned(ctx, page, orderId, item, who) {
  ctx.assert((await ctx.rpc("order_get", [orderId])).status === "paid", "the node settled the order");
  ctx.assert(await ownerOf(ctx, item) === who.account, "the buyer owns the piece");
  await ctx.open(page, "/me");
  ctx.assert(await page.locator(`#owned a[href="#/item/${item}"]`).count() === 1, "My Page lists the piece");
}

/**
 * Starts the fake `gateway` (`fakeArgs`), a node for it (`nodeArgs(fakeUrl)` after the
 * provider and base URL), tells the fake the node's webhook URL, and signs a buyer up.
 */
async function providerNode(ctx, fakes, gateway, fakeArgs, nodeArgs) {
  const fake = await startFake(ctx.FAKE_BIN, gateway, fakeArgs);
  fakes.push(fake);
  await ctx.restartNode(["--payments.provider", gateway, "--payments.base-url", fake.url, ...nodeArgs(fake.url)]);
  await fake.setWebhookUrl(`${ctx.base()}/payments/webhook`);
  return { fake, buyer: await buyerOn(ctx, gateway) };
}

async function portoneSteps(ctx, write, fakes) {
  const apiSecret = `portone-e2e-${randomBytes(12).toString("hex")}`;
  const whsec = `whsec_${randomBytes(24).toString("base64")}`;
  const storeId = "store-e2e-00000000";
  let fake;
  let buyer;
  const ordered = new Set();

  await ctx.step("PortOne: a node configured for the fake PortOne", async () => {
    ({ fake, buyer } = await providerNode(ctx, fakes, "portone",
      ["--api-secret", apiSecret, "--store-id", storeId, "--webhook-secret", whsec],
      (url) => [
        "--payments.sdk-url", `${url}/v2/browser-sdk.js`,
        "--payments.store-id", storeId,
        "--payments.channel-key", "channel-key-e2e",
        "--payments.secret-key-file", write("portone.key", apiSecret),
        "--payments.webhook-secret-file", write("portone.whsec", whsec),
      ]));
  });

  await ctx.step("PortOne: SDK payment window, signed webhook, payment fetched, settled", async () => {
    const { page, who } = buyer;
    const { orderId, item, amount } = await orderPiece(ctx, page, ordered);
    await toCheckout(page, page.locator(".pay-start"), fake);
    const paymentId = new URL(page.url()).searchParams.get("paymentId");
    ctx.assert(new URL(page.url()).searchParams.get("totalAmount") === String(amount), "the SDK asked for the order's amount");
    await ctx.shot(page, "40-portone-checkout");
    await leaveCheckout(ctx, page, "결제하기", orderId);
    await page.waitForSelector(".pay .order-status[data-status=paid]", { timeout: 40_000 });
    await ctx.shot(page, "41-portone-paid");
    const state = await fakeState(fake);
    const delivery = state.deliveries.find((d) => d.paymentId === paymentId && d.type === "Transaction.Paid");
    ctx.assert(delivery && delivery.status === 200, `the signed webhook was accepted: ${JSON.stringify(state.deliveries)}`);
    const fetched = state.seen.filter((s) => s.method === "GET" && s.path === `/payments/${paymentId}`);
    ctx.assert(fetched.length >= 1 && fetched.every((s) => s.authorization === `PortOne ${apiSecret}`),
      `the node fetched the payment with its API secret: ${JSON.stringify(state.seen)}`);
    await assertOwned(ctx, page, orderId, item, who);
  });

  await ctx.step("PortOne: a cancelled payment window, then another amount: cancelled at PortOne, the order fails", async () => {
    const { page, who } = buyer;
    const { orderId, item, amount } = await orderPiece(ctx, page, ordered);
    await toCheckout(page, page.locator(".pay-start"), fake);
    const paymentId = new URL(page.url()).searchParams.get("paymentId");
    await leaveCheckout(ctx, page, "결제 취소", orderId);
    await page.locator(".pay .status.error", { hasText: "FAILURE_TYPE_PG" }).waitFor();
    await ctx.shot(page, "42-portone-cancelled");
    ctx.assert((await ctx.rpc("order_get", [orderId])).status === "pending", "a cancelled window leaves the order pending");
    // Again, and the buyer's browser changes the amount before paying.
    await page.waitForSelector(".pay-start");
    await toCheckout(page, page.locator(".pay-start"), fake);
    await page.locator("#amount").fill("1000");
    await leaveCheckout(ctx, page, "결제하기", orderId);
    await ctx.until("the short payment's order to fail", async () => (await ctx.rpc("order_get", [orderId])).status === "cancelled");
    const payment = (await fakeState(fake)).payments.find((p) => p.id === paymentId);
    ctx.assert(payment && payment.status === "CANCELLED" && payment.amount.total === 1000, `cancelled at PortOne: ${JSON.stringify(payment)}`);
    ctx.assert(amount !== 1000 && await ownerOf(ctx, item) !== who.account, "the piece is not the buyer's");
    await ctx.open(page, `/order/${orderId}`);
    await page.waitForSelector(".pay .order-status[data-status=cancelled]");
    await ctx.shot(page, "43-portone-amount-mismatch");
  });
}

async function tossSteps(ctx, write, fakes) {
  const secretKey = `test_sk_e2e${randomBytes(8).toString("hex")}`;
  const clientKey = `test_ck_e2e${randomBytes(8).toString("hex")}`;
  let fake;
  let buyer;
  const ordered = new Set();

  await ctx.step("Toss: a node configured for the fake Toss Payments", async () => {
    ({ fake, buyer } = await providerNode(ctx, fakes, "toss",
      ["--secret-key", secretKey, "--client-key", clientKey],
      (url) => [
        "--payments.sdk-url", `${url}/v1/payment-widget`,
        "--payments.client-key", clientKey,
        "--payments.secret-key-file", write("toss.key", secretKey),
      ]));
  });

  await ctx.step("Toss: widget, fail page, then success page → payment_confirm → settled", async () => {
    const { page, who } = buyer;
    const { orderId, item, amount } = await orderPiece(ctx, page, ordered);
    await page.locator(".pay-start").click();
    await page.locator(".pay-widget", { hasText: "fake Toss widget" }).waitFor();
    await ctx.shot(page, "44-toss-widget");
    await toCheckout(page, page.locator(".pay-request"), fake);
    await ctx.shot(page, "45-toss-checkout");
    await leaveCheckout(ctx, page, "결제 취소", orderId);
    await page.locator(".pay .status.error", { hasText: "PAY_PROCESS_CANCELED" }).waitFor();
    await ctx.shot(page, "46-toss-fail-page");
    ctx.assert((await ctx.rpc("order_get", [orderId])).status === "pending", "the fail page leaves the order pending");

    await page.waitForSelector(".pay-start");
    await page.locator(".pay-start").click();
    await toCheckout(page, page.locator(".pay-request"), fake);
    await leaveCheckout(ctx, page, "결제하기", orderId);
    await page.waitForSelector(".pay .order-status[data-status=paid]", { timeout: 40_000 });
    await ctx.shot(page, "47-toss-paid");
    const state = await fakeState(fake);
    const confirm = state.seen.find((s) => s.path === "/v1/payments/confirm");
    const basic = `Basic ${Buffer.from(`${secretKey}:`).toString("base64")}`;
    ctx.assert(confirm && confirm.authorization === basic, `confirmed with Basic auth: ${JSON.stringify(confirm)}`);
    ctx.assert(confirm.idempotencyKey === `confirm-${confirm.body.paymentKey}`, `with an Idempotency-Key: ${confirm.idempotencyKey}`);
    ctx.assert(confirm.body.amount === amount, "confirmed for the order's amount");
    const payment = state.payments.find((p) => p.paymentKey === confirm.body.paymentKey);
    ctx.assert(payment && payment.status === "DONE", `DONE at Toss: ${JSON.stringify(payment)}`);
    await assertOwned(ctx, page, orderId, item, who);
  });

  await ctx.step("Toss: an authorization of another amount is cancelled at Toss and the order fails", async () => {
    const { page, who } = buyer;
    const { orderId, item } = await orderPiece(ctx, page, ordered);
    await page.locator(".pay-start").click();
    await toCheckout(page, page.locator(".pay-request"), fake);
    await page.locator("#amount").fill("1000");
    await leaveCheckout(ctx, page, "결제하기", orderId);
    await ctx.until("the short payment's order to fail", async () => (await ctx.rpc("order_get", [orderId])).status === "cancelled");
    await page.locator(".pay .status.error").waitFor();
    await ctx.shot(page, "48-toss-amount-mismatch");
    const state = await fakeState(fake);
    const short = state.payments.find((p) => p.totalAmount === 1000);
    ctx.assert(short && short.status === "CANCELED", `cancelled at Toss: ${JSON.stringify(short)}`);
    ctx.assert(await ownerOf(ctx, item) !== who.account, "the piece is not the buyer's");
  });
}
