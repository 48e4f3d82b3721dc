// Paying through a provider's browser SDK (issue 25): the node's `payment_start` answers
// a `widget` with the SDK's URL and parameters; the page loads the SDK, lets the buyer
// pay, and hands the result to `payment_confirm`, which checks it with the provider.
//
// - PortOne V2: `PortOne.requestPayment({storeId, channelKey, paymentId, orderName,
//   totalAmount, currency, payMethod, redirectUrl})` resolves `{paymentId}` (or
//   `{code, message}`); on phones the SDK goes to `redirectUrl?paymentId=…[&code=…]`.
// - Toss Payments: `PaymentWidget(clientKey, customerKey)`, `renderPaymentMethods`,
//   `renderAgreement`, then `requestPayment({orderId, orderName, successUrl, failUrl})`
//   sends the browser to `successUrl?paymentKey=…&orderId=…&amount=…` or
//   `failUrl?code=…&message=…`.
//
// The return URLs are this page's own, `/?pay=success&order=<id>`: a query, not a hash,
// since providers append their parameters to the query. `takeReturn` turns one into the
// order's route with the parameters, for the payment panel to finish.

const loading = new Map();

/** Loads a script once; rejects if it does not load. */
export function loadScript(src) {
  if (!loading.has(src)) {
    loading.set(src, new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = () => resolve();
      script.onerror = () => {
        loading.delete(src);
        script.remove();
        reject(new Error(`cannot load ${src}`));
      };
      document.head.appendChild(script);
    }));
  }
  return loading.get(src);
}

/** Where the provider sends the buyer back for order `orderId` (`kind`: success, fail, return). */
export function returnUrl(orderId, kind) {
  return `${location.origin}${location.pathname}?pay=${kind}&order=${orderId}`;
}

const RETURN_PARAMS = ["pay", "paymentKey", "paymentId", "orderId", "amount", "code", "message"];

/**
 * If the provider sent the browser back here (`?pay=…&order=…`), rewrites the address to
 * the order's route `#/order/<id>?pay=…` (dropping the query, so a reload does not
 * confirm again) and returns true.
 */
export function takeReturn() {
  const query = new URLSearchParams(location.search);
  const order = query.get("order") || "";
  if (!query.has("pay") || !/^\d{1,19}$/.test(order)) return false;
  const kept = new URLSearchParams();
  for (const name of RETURN_PARAMS) if (query.has(name)) kept.set(name, query.get(name).slice(0, 200));
  history.replaceState(null, "", `${location.pathname}#/order/${order}?${kept}`);
  return true;
}

/**
 * What the provider's return parameters say: `{ key }` to confirm, `{ error }` when
 * paying failed, or null when there is nothing to do.
 */
export function readReturn(query) {
  if (!query || !query.get("pay")) return null;
  const code = query.get("code");
  if (code) return { error: `${code}: ${query.get("message") || ""}` };
  const key = query.get("paymentKey") || query.get("paymentId");
  return key ? { key } : null;
}

/** PortOne: requests the payment; resolves the payment id to confirm. */
export async function payWithPortOne(widget, orderId) {
  await loadScript(widget.sdkUrl);
  if (!window.PortOne || typeof window.PortOne.requestPayment !== "function") {
    throw new Error("PortOne SDK: requestPayment is missing");
  }
  const result = await window.PortOne.requestPayment({
    storeId: widget.storeId,
    channelKey: widget.channelKey,
    paymentId: widget.paymentId,
    orderName: widget.orderName,
    totalAmount: widget.totalAmount,
    currency: widget.currency,
    payMethod: widget.payMethod,
    customer: widget.customer,
    redirectUrl: returnUrl(orderId, "return"),
  });
  if (!result) throw new Error("PortOne SDK: no result");
  if (result.code) throw new Error(`${result.code}: ${result.message || ""}`);
  return result.paymentId || widget.paymentId;
}

/**
 * Toss: renders the widget into `methodsEl` and `agreementEl`; returns `pay()`, which
 * sends the browser to Toss (and back to the success or fail URL).
 */
export async function tossWidget(widget, orderId, methodsEl, agreementEl) {
  await loadScript(widget.sdkUrl);
  if (typeof window.PaymentWidget !== "function") throw new Error("Toss SDK: PaymentWidget is missing");
  const paymentWidget = window.PaymentWidget(widget.clientKey, widget.customerKey);
  paymentWidget.renderPaymentMethods(`#${methodsEl.id}`, { value: widget.amount.value });
  paymentWidget.renderAgreement(`#${agreementEl.id}`);
  return () => paymentWidget.requestPayment({
    orderId: widget.orderId,
    orderName: widget.orderName,
    successUrl: returnUrl(orderId, "success"),
    failUrl: returnUrl(orderId, "fail"),
  });
}
