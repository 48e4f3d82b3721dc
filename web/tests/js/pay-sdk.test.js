// Paying through a provider's SDK: the return parameters and the fake SDKs' interfaces
// as the order page calls them.
import { test } from "node:test";
import assert from "node:assert/strict";

import { payWithPortOne, readReturn, takeReturn } from "../../static/assets/js/pay-sdk.js";

test("return parameters: a key to confirm, an error to show, or nothing", () => {
  const q = (s) => new URLSearchParams(s);
  assert.deepEqual(readReturn(q("pay=success&paymentKey=tgen_1&orderId=truffle-a-1&amount=100")), { key: "tgen_1" });
  assert.deepEqual(readReturn(q("pay=return&paymentId=truffle-a-1")), { key: "truffle-a-1" });
  assert.deepEqual(readReturn(q("pay=fail&code=PAY_PROCESS_CANCELED&message=취소")), { error: "PAY_PROCESS_CANCELED: 취소" });
  assert.deepEqual(readReturn(q("pay=return&paymentId=truffle-a-1&code=FAILURE_TYPE_PG&message=x")), { error: "FAILURE_TYPE_PG: x" });
  assert.equal(readReturn(q("paymentKey=tgen_1")), null, "only a provider's return");
  assert.equal(readReturn(null), null);
});

test("a provider's return becomes the order's route, once", () => {
  const calls = [];
  globalThis.location = { search: "?pay=success&order=42&paymentKey=tgen_1&amount=100&evil=1", pathname: "/" };
  globalThis.history = { replaceState: (_s, _t, url) => calls.push(url) };
  assert.equal(takeReturn(), true);
  assert.equal(calls[0], "/#/order/42?pay=success&paymentKey=tgen_1&amount=100");
  globalThis.location = { search: "?pay=success&order=42x", pathname: "/" };
  assert.equal(takeReturn(), false, "the order must be a number");
  globalThis.location = { search: "", pathname: "/" };
  assert.equal(takeReturn(), false);
});

test("PortOne: requestPayment gets the node's parameters and a failure is an error", async () => {
  const seen = [];
  globalThis.location = { origin: "http://127.0.0.1:9", pathname: "/" };
  globalThis.document = { head: { appendChild: (script) => script.onload() }, createElement: () => ({ remove() {} }) };
  globalThis.window = { PortOne: { requestPayment: async (request) => { seen.push(request); return { paymentId: request.paymentId, txId: "tx" }; } } };
  const widget = { sdk: "portone", sdkUrl: "http://127.0.0.1:9/v2/browser-sdk.js", storeId: "store-1", channelKey: "ch",
    paymentId: "truffle-a-7", orderName: "덩크", totalAmount: 1000, currency: "CURRENCY_KRW", payMethod: "CARD" };
  assert.equal(await payWithPortOne(widget, 7), "truffle-a-7");
  assert.equal(seen[0].storeId, "store-1");
  assert.equal(seen[0].totalAmount, 1000);
  assert.equal(seen[0].redirectUrl, "http://127.0.0.1:9/?pay=return&order=7");
  window.PortOne.requestPayment = async () => ({ code: "FAILURE_TYPE_PG", message: "거절" });
  await assert.rejects(payWithPortOne(widget, 7), /FAILURE_TYPE_PG: 거절/);
});
