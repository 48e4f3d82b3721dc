// End-to-end steps of issue 24, run by run.mjs with its helpers (`t`): the admins'
// console approving a seller and switching a campaign on; a refund asked for, approved
// by the seller and paid back through the sandbox; a password reset that ends every
// session; the wallet key restored from its recovery backup in a fresh browser; a phone
// number change.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { toHex } from "../static/assets/js/borsh.js";

const NEW_PASSWORD = "Nw8!plum-harbor-77";
const ADMIN_PASSPHRASE = "console-passphrase-e2e";

/** Answers a passphrase or password prompt (`label`) if it comes before `outcome`. */
async function answered(page, outcome, label, secret, { timeout = 30_000 } = {}) {
  const prompt = page.locator("dialog[open]");
  await prompt.or(outcome).first().waitFor({ timeout });
  if (await prompt.isVisible()) {
    await prompt.getByLabel(label).fill(secret);
    await prompt.getByRole("button", { name: "확인" }).click();
  }
  await outcome.first().waitFor({ timeout });
}

/** The admins' console in its own tab, with the dev preset's admin key imported. */
export function adminConsole(t) {
  let page = null;
  const ready = async () => {
    if (!page) {
      page = await t.newTab("admin");
      await t.open(page, "/admin");
      await page.locator("#admin-key-text").fill(toHex(t.devSeed("admin")));
      await page.locator("#admin-passphrase").fill(ADMIN_PASSPHRASE);
      await page.locator("#admin-key-save").click();
      await page.waitForSelector("#admin-sellers h2");
    } else {
      await t.open(page, "/admin");
    }
    return page;
  };
  return {
    /** Approves the refund request of `order` in the console, with a note to the buyer. */
    async approveRefund(order, note) {
      const console = await ready();
      const row = console.locator(`#admin-refunds .refund-row[data-order="${order}"]`);
      await row.waitFor({ timeout: 30_000 });
      await row.getByRole("textbox").fill(note);
      await row.locator(".refund-approve").click();
      // Approved: the row keeps only its note, or leaves the list once refunded.
      const decided = console.locator(`#admin-refunds .refund-row[data-order="${order}"] p.small`)
        .or(console.locator(`#admin-refunds:not(:has(.refund-row[data-order="${order}"]))`));
      await answered(console, decided, "암호", ADMIN_PASSPHRASE);
      await t.shot(console, "35-admin-refund-approved");
    },
    /** Approves `account`'s seller application in the console. */
    async approveSeller(account) {
      const console = await ready();
      await console.waitForSelector("#admin-sellers h2");
      const row = console.locator(`#admin-sellers .seller-row[data-account="${account}"]`);
      await row.locator(".seller-approve").click();
      await answered(console, console.locator(`#admin-sellers .seller-row[data-account="${account}"] .seller-revoke`), "암호", ADMIN_PASSPHRASE);
      await t.shot(console, "30-admin-seller-approved");
    },
    /** Creates a campaign in the console, switches it off and on again; returns its id. */
    async runCampaign(landingUrl) {
      const console = await ready();
      await console.waitForSelector("#ad-form");
      const title = `콘솔 기획전 ${t.RUN}`;
      await console.locator("#ad-title").fill(title);
      await console.locator("#ad-image").fill("https://truffle.example/banners/console.png");
      await console.locator("#ad-landing").fill(landingUrl);
      await console.locator("#ad-create").click();
      const row = () => console.locator("#ad-stats .ad-row", { hasText: title });
      await answered(console, console.locator("#ad-stats .ad-row, #ad-stats-show"), "암호", ADMIN_PASSPHRASE);
      if (await console.locator("#ad-stats-show").isVisible()) {
        await console.locator("#ad-stats-show").click();
        await answered(console, row(), "암호", ADMIN_PASSPHRASE);
      }
      await row().waitFor();
      const ad = Number(await row().getAttribute("data-ad"));
      t.assert(await row().locator(".ad-state[data-active=true]").isVisible(), "the new campaign is on");
      await row().locator(".ad-disable").click();
      await answered(console, row().locator(".ad-state[data-active=false]"), "암호", ADMIN_PASSPHRASE);
      const hidden = await t.rpc("ad_list", ["main", null]);
      t.assert(!hidden.some((b) => b.id === ad), "a switched-off campaign is not shown");
      await row().locator(".ad-enable").click();
      await answered(console, row().locator(".ad-state[data-active=true]"), "암호", ADMIN_PASSPHRASE);
      const shown = await t.rpc("ad_list", ["main", null]);
      t.assert(shown.some((b) => b.id === ad), "the approved campaign shows on the main page");
      t.assert(/노출 \d+ · 클릭 \d+/.test(await row().locator(".ad-counts").textContent()), "its impressions and clicks");
      await t.shot(console, "31-admin-campaign");
      return ad;
    },
    /** Reads the console's validator list (read-only). */
    async validators() {
      const console = await ready();
      await console.waitForSelector("#admin-validators .validator-row");
      return console.locator("#admin-validators .validator-row").count();
    },
    async close() {
      if (page) await page.close();
    },
  };
}

/**
 * The buyer (logged in on `buyerPage`, owning the raffle prize `itemId` bought from the
 * seller on `sellerPage`) backs the wallet key up, resets the password in a fresh
 * browser, restores the key there, asks for a refund that the seller approves, and
 * changes the phone number.
 */
export async function refundAndRecoverySteps(t, { buyerPage, sellerPage, buyer, itemId, admin }) {
  const files = mkdtempSync(path.join(tmpdir(), "truffle-e2e-backup-"));
  const backupFile = path.join(files, "backup.json");
  let recoveryCode = null;
  let fresh = null;
  let page = null;
  const oldToken = await buyerPage.evaluate(() => JSON.parse(sessionStorage.getItem("truffle.session")).token);

  try {
    await t.step("buyer makes a recovery backup of the wallet key", async () => {
      await t.open(buyerPage, "/me/wallet");
      const download = buyerPage.waitForEvent("download", { timeout: 60_000 });
      await buyerPage.locator("#recovery-make").click();
      await answered(buyerPage, buyerPage.locator("#recovery-code"), "비밀번호", t.PASSWORD);
      await (await download).saveAs(backupFile);
      recoveryCode = (await buyerPage.locator("#recovery-code").textContent()).trim();
      t.assert(/^([0-9A-Z]{4}-){4}[0-9A-Z]{4}$/.test(recoveryCode), `a recovery code: ${recoveryCode}`);
      const record = JSON.parse(readFileSync(backupFile, "utf8"));
      t.assert(record.protection === "recovery_code" && record.public_key === buyer.account && !("seed" in record), "a sealed backup");
      await t.shot(buyerPage, "32-recovery-backup");
    });

    await t.step("password reset by phone in a fresh browser ends every session", async () => {
      fresh = await t.freshBrowser();
      page = await fresh.newPage();
      page.setDefaultTimeout(20_000);
      await t.open(page, "/login");
      await t.rendered(page, () => page.locator("#forgot-password").click());
      await page.getByLabel("이메일").fill(buyer.email);
      await page.getByLabel("휴대폰 번호").fill(buyer.phone.local);
      const from = t.logLines().length;
      await page.getByRole("button", { name: "인증번호 받기" }).click();
      await page.waitForSelector("#reset-code");
      const code = await t.until("the reset code", () => t.smsCode(buyer.phone.e164, from), { timeoutMs: 10_000, everyMs: 200 });
      await page.getByLabel("인증번호 6자리").fill(code);
      await page.getByRole("button", { name: "확인" }).click();
      await page.waitForSelector("#reset-password");
      await page.getByLabel("새 비밀번호").fill(NEW_PASSWORD);
      await page.getByLabel("비밀번호 확인").fill(NEW_PASSWORD);
      await t.shot(page, "33-password-reset");
      await t.rendered(page, () => page.getByRole("button", { name: "새 비밀번호 저장" }).click());
      t.assert(await page.evaluate(() => location.hash) === "#/login", "back at login");
      t.assert((await page.locator(".flash").textContent()).includes("비밀번호를 바꿨습니다"), "the reset notice");
      let ended = false;
      try {
        await t.rpc("account_me", [oldToken]);
      } catch (error) {
        ended = /3014/.test(error.message);
      }
      t.assert(ended, "the old browser's session ended");
    });

    await t.step("the wallet key comes back from the recovery backup in the fresh browser", async () => {
      await page.getByLabel("이메일").fill(buyer.email);
      await page.getByLabel("비밀번호").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "로그인" }).last().click();
      await page.waitForSelector("#restore-form");
      await page.locator("#restore-file").setInputFiles(backupFile);
      await page.locator("#restore-secret").fill("wrong-code");
      await page.locator("#restore-submit").click();
      await page.waitForSelector("#restore-form .status.error");
      await page.locator("#restore-secret").fill(recoveryCode.toLowerCase());
      await t.rendered(page, () => page.locator("#restore-submit").click());
      // Login lands on the main page, as the brief draws it; the restore does not change that.
      t.assert(await page.evaluate(() => location.hash) === "#/", `the main page after the restore: ${page.url()}`);
      await t.open(page, "/me");
      t.assert(await page.locator("#profile").isVisible(), "My Page opens with the restored session");
      const record = await page.evaluate((a) => JSON.parse(localStorage.getItem(`truffle.wallet.${a}`)), buyer.account);
      t.assert(record && record.public_key === buyer.account && !record.protection, "the key is kept sealed under the new password");
      await t.shot(page, "34-wallet-restored");
    });

    let order = null;
    await t.step("the buyer asks for a refund (signed in the fresh browser); the seller approves; the payment goes back", async () => {
      const session = await page.evaluate(() => JSON.parse(sessionStorage.getItem("truffle.session")).token);
      const history = await t.rpc("payment_history", [session, { page: 1, page_size: 100 }]);
      const entry = history.items.find((e) => e.role === "buyer" && e.status === "paid" && e.item && e.item.id === itemId);
      t.assert(entry, "the prize's paid order");
      order = entry.order;
      await t.open(page, `/order/${order}`);
      await page.getByLabel("환불 사유").fill("박스가 찢어져 왔어요");
      await page.getByRole("button", { name: "환불 요청" }).click();
      // The restored key was kept unlocked; a prompt would take the new password.
      await answered(page, page.locator(".refund-state[data-status=requested]"), "비밀번호", NEW_PASSWORD);
      await t.shot(page, "35-refund-requested");
      // The piece was resold since this sale (the seller centre's resale step), so the
      // seller may not approve: only an admin may, and the piece stays with its owner.
      const ownerBefore = (await t.rpc("product_getItem", [itemId])).item.owner;
      await t.open(sellerPage, `/order/${order}`);
      await sellerPage.locator(".refund-decision textarea").fill("불편을 드려 죄송합니다");
      await sellerPage.locator(".refund-approve").click();
      await answered(sellerPage, sellerPage.locator(".status.error", { hasText: "only an admin" }), "비밀번호", t.PASSWORD);
      await admin.approveRefund(order, "불편을 드려 죄송합니다");
      await t.until("the refund", async () => (await t.rpc("order_get", [order])).status === "refunded", { timeoutMs: 30_000, everyMs: 500 });
      await t.open(page, `/order/${order}`);
      await page.locator(".refund-state[data-status=refunded]").waitFor({ timeout: 15_000 }).catch(() => {});
      t.assert(await page.locator(".refund-state[data-status=refunded]").isVisible(),
        `the buyer sees the refund: ${page.url()} ${await page.locator("main").textContent().catch(() => "(no main)")}`);
      t.assert(await page.locator(".pay .order-status[data-status=refunded]").isVisible(), "the order refunded");
      t.assert((await page.locator(".refund-note").textContent()).includes("죄송합니다"), "the seller's note");
      const view = await t.rpc("order_get", [order]);
      const sandbox = await (await fetch(`${t.base()}/sandbox/payments/${view.payment.payment_key}`)).json();
      t.assert(sandbox.payment.status === "CANCELED" && sandbox.payment.cancels.length === 1, `cancelled once at the provider: ${JSON.stringify(sandbox.payment)}`);
      t.assert(!view.refund.ownership_reversed, "a resold piece is not taken back");
      t.assert((await t.rpc("product_getItem", [itemId])).item.owner === ownerBefore, "the piece stays with its owner");
      await t.shot(page, "36-refunded");
    });

    await t.step("the buyer changes the phone number, verified by a code", async () => {
      await t.open(page, "/me/phone");
      const phone = t.randomPhone();
      const from = t.logLines().length;
      await page.getByLabel("새 휴대폰 번호").fill(phone.local);
      await page.getByRole("button", { name: "인증번호 받기" }).click();
      await page.waitForSelector("#phone-code");
      const code = await t.until("the phone code", () => t.smsCode(phone.e164, from), { timeoutMs: 10_000, everyMs: 200 });
      await page.getByLabel("인증번호 6자리").fill(code);
      await t.rendered(page, () => page.getByRole("button", { name: "인증하고 변경" }).click());
      t.assert((await page.locator("#profile").textContent()).includes(phone.e164), "the new number on My Page");
      t.assert((await page.locator(".flash").textContent()).includes("휴대폰 번호를 바꿨습니다"), "the change notice");
      buyer.phone = phone;
      await t.shot(page, "37-phone-changed");
    });
  } finally {
    if (fresh) await t.closeBrowser(fresh);
    rmSync(files, { recursive: true, force: true });
  }
}
