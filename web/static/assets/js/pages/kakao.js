// KakaoTalk link: a logged-in member gets a one-time code (account_kakaoLinkCode) and
// sends it to the Truffle KakaoTalk channel, whose bot then answers "내 주문" and "내 응모
// 결과" with this member's orders and entries. Shows whether the account is linked
// (account_kakaoStatus) and unlinks it (account_kakaoUnlink). The bot's "연동 코드 받기"
// button lands here (/account/kakao → #/me/kakao).

import { dateTime, errorMessage, t } from "../i18n.js";
import { rpc } from "../rpc.js";
import { add, busy, fill, h, status } from "../ui.js";
import { session, token } from "../session.js";
import { flash, go } from "../nav.js";

/** This page's route, for links and the way back after logging in. */
export const KAKAO_ROUTE = "/me/kakao";

function minutesLeft(expiresAtMs) {
  return Math.max(0, Math.ceil((Number(expiresAtMs) - Date.now()) / 60_000));
}

function codePanel(issued) {
  const message = `연동 ${issued.code}`;
  const copyStatus = h("span.copy-status", { "aria-live": "polite" });
  const copy = h("button.secondary#kakao-copy", { type: "button", on: { click: async () => {
    try {
      await navigator.clipboard.writeText(message);
      fill(copyStatus, t("kakao.copied"));
    } catch {
      fill(copyStatus, t("kakao.copyFailed"));
    }
  } } }, t("kakao.copy"));
  return h("div.kakao-code",
    h("p.code-label", t("kakao.yourCode")),
    h("p.code#kakao-code", { "data-code": issued.code, "aria-label": issued.code.split("").join(" ") }, issued.code),
    h("p.small#kakao-code-expiry", t("kakao.expires", { min: minutesLeft(issued.expires_at_ms), at: dateTime(issued.expires_at_ms) })),
    h("p.kakao-message", t("kakao.send"), " ", h("strong", message)),
    h("p.actions", copy, " ", copyStatus));
}

export async function renderKakao(main) {
  if (!session()) {
    flash(t("kakao.loginFirst"));
    go(`/login?next=${encodeURIComponent(KAKAO_ROUTE)}`);
    add(main, status("info", t("kakao.loginFirst")));
    return;
  }
  const state = h("section.panel#kakao-status", { "aria-labelledby": "kakao-status-title" },
    h("h2#kakao-status-title", t("kakao.status")), h("p.loading", t("common.loading")));
  const codeStatus = h("div.form-status", { "aria-live": "polite" });
  const codeSlot = h("div#kakao-code-slot");
  const codeButton = h("button.primary#kakao-get-code", { type: "button" }, t("kakao.getCode"));
  codeButton.addEventListener("click", async () => {
    try {
      const issued = await busy(codeButton, codeStatus, () => rpc("account_kakaoLinkCode", [token()]));
      fill(codeStatus);
      fill(codeSlot, codePanel(issued));
      codeButton.textContent = t("kakao.newCode");
    } catch {
      // busy() showed the error (6001: too many codes, with the wait).
    }
  });
  const steps = h("section.panel#kakao-steps", { "aria-labelledby": "kakao-steps-title" },
    h("h2#kakao-steps-title", t("kakao.how")),
    h("ol.how-to",
      h("li", t("kakao.step1")),
      h("li", t("kakao.step2")),
      h("li", t("kakao.step3")),
      h("li", t("kakao.step4"))),
    h("p.note", t("kakao.codeNote")),
    h("p.actions", codeButton), codeStatus, codeSlot);
  const refresh = h("button.secondary#kakao-refresh", { type: "button", on: { click: () => go(KAKAO_ROUTE) } }, t("kakao.refresh"));
  add(main, h("h1", t("kakao.title")), h("p.lead", t("kakao.lead")), state, steps,
    h("p.actions", refresh, " ", h("a", { href: "#/me" }, t("kakao.backToMe"))));

  try {
    const linked = await rpc("account_kakaoStatus", [token()]);
    const unlinkStatus = h("div.form-status", { "aria-live": "polite" });
    const unlink = h("button.danger#kakao-unlink", { type: "button" }, t("kakao.unlink"));
    unlink.addEventListener("click", async () => {
      try {
        await busy(unlink, unlinkStatus, () => rpc("account_kakaoUnlink", [token()]));
        flash(t("kakao.unlinked"));
        go(KAKAO_ROUTE);
      } catch {
        // Shown by busy().
      }
    });
    fill(state, state.firstChild,
      linked.linked
        ? h("p.kakao-state", { "data-linked": "true" }, status("ok", t("kakao.linked", { since: dateTime(linked.linked_since_ms) })))
        : h("p.kakao-state", { "data-linked": "false" }, status("info", t("kakao.notLinked"))),
      linked.linked ? h("p.actions", unlink) : null, unlinkStatus);
  } catch (error) {
    fill(state, state.firstChild, status("error", errorMessage(error)));
  }
}
