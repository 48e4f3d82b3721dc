// Account recovery: password reset by re-verifying the phone, phone number change
// (verified like signup), and the wallet key's backups — one sealed with a recovery
// code, restored in a new browser or after a reset.
//
// The node never holds the wallet key: a reset gives the account a new password but
// cannot open a key sealed under the old one. That is what the recovery backup is for
// (a file sealed with a random code the member writes down, not with the password).

import { errorMessage, t } from "../i18n.js";
import { RpcError, rpc } from "../rpc.js";
import { add, busy, field, fill, h, input, status } from "../ui.js";
import { clearSession, keepUnlocked, me, session, token, unlockWallet } from "../session.js";
import { openSeed, randomBytes, sealSeed, storeRecord } from "../wallet.js";
import { flash, go } from "../nav.js";

// Crockford's base32: no I, L, O, U, so a code read aloud or copied by hand survives.
const CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Characters in a recovery code: 20 × 5 bits = 100 bits. */
const CODE_LENGTH = 20;

/** A new recovery code, grouped by four (`7K3Q-…`). */
export function newRecoveryCode() {
  const bytes = randomBytes(CODE_LENGTH);
  const chars = Array.from(bytes, (b) => CODE_ALPHABET[b & 31]);
  return chars.join("").match(/.{4}/g).join("-");
}

/** A typed code as sealed: upper case, without spaces or dashes, I/L → 1 and O → 0. */
export function normalizeRecoveryCode(text) {
  return String(text).toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
}

/** A backup of `seed` sealed with a recovery code (JSON-ready). */
export async function recoveryBackup(seed, code) {
  const record = await sealSeed(seed, normalizeRecoveryCode(code));
  return { ...record, protection: "recovery_code" };
}

/**
 * Opens a backup file's record for `account` with `secret` (the recovery code of a
 * recovery backup, else the password the backup was made with) and keeps the key in
 * this browser sealed under `password` (the account's current one).
 */
export async function restoreBackup(record, account, secret, password) {
  if (!record || record.public_key !== account) throw new Error(t("recovery.otherAccount"));
  const key = record.protection === "recovery_code" ? normalizeRecoveryCode(secret) : secret;
  let seed;
  try {
    seed = await openSeed(record, key);
  } catch (error) {
    throw new Error(record.protection === "recovery_code" ? t("recovery.wrongCode") : t("recovery.wrongBackupPassword"), { cause: error });
  }
  storeRecord(await sealSeed(seed, password));
  keepUnlocked(account, seed);
  return seed;
}

function download(name, value) {
  const blob = new Blob([JSON.stringify(value, null, 2)], { type: "application/json" });
  const link = h("a", { href: URL.createObjectURL(blob), download: name });
  add(document.body, link);
  link.click();
  link.remove();
}

function help(text) {
  return h("details.help", h("summary", t("help.title")), ...String(text).split("\n\n").map((p) => h("p", p)));
}

/**
 * Restores the wallet key from a backup file. `password` is the account's current
 * password when known (just logged in); otherwise the form asks for it.
 */
export function restoreControl(account, password, after) {
  const file = h("input#restore-file", { type: "file", accept: "application/json,.json", name: "backup", required: true });
  const secret = input({ name: "secret", id: "restore-secret", autocomplete: "off" });
  const current = password ? null : input({ type: "password", name: "password", id: "restore-password", autocomplete: "current-password" });
  const statusEl = h("div.form-status", { "aria-live": "polite" });
  const button = h("button.primary#restore-submit", { type: "submit" }, t("recovery.restore"));
  const form = h("form#restore-form",
    field(t("recovery.backupFile"), file, { required: true }),
    field(t("recovery.secret"), secret, { hint: t("recovery.secretHint") }),
    current ? field(t("update.currentPassword"), current, { required: true }) : null,
    statusEl, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await busy(button, statusEl, async () => {
        if (!file.files[0]) throw new Error(t("recovery.backupFile"));
        const record = JSON.parse(await file.files[0].text());
        const sealWith = password || current.value;
        await restoreBackup(record, account, secret.value || sealWith, sealWith);
      });
      fill(statusEl, status("ok", t("login.imported")));
      if (after) after();
    } catch {
      // Shown by busy().
    }
  });
  return h("div.panel.restore", h("h2", t("recovery.restoreTitle")), form);
}

// ---- Password reset ----------------------------------------------------------------------

export async function renderReset(main) {
  const state = { email: "", phone: "", token: null };
  const body = h("div");
  add(main, h("section.narrow", h("h1", t("reset.title")), h("p", t("reset.intro")), body, help(t("reset.help"))));

  const stepStart = (notice) => {
    const email = input({ type: "email", name: "email", autocomplete: "email", value: state.email });
    const phone = input({ type: "tel", name: "phone", autocomplete: "tel", inputmode: "tel", value: state.phone });
    const statusEl = h("div.form-status", { "aria-live": "polite" }, notice || "");
    const button = h("button.primary", { type: "submit" }, t("signup.sendCode"));
    const form = h("form#reset-start", field(t("login.email"), email, { required: true }),
      field(t("signup.phone"), phone, { required: true, hint: t("reset.phoneHint") }), statusEl, button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const sent = await busy(button, statusEl, () => rpc("auth_requestPhoneCode", [phone.value.trim()]));
        state.email = email.value.trim();
        state.phone = phone.value.trim();
        stepCode(sent);
      } catch {
        // Shown by busy().
      }
    });
    fill(body, form);
    email.focus();
  };

  const stepCode = (sent) => {
    const code = input({ name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6", pattern: "[0-9]{6}" });
    const statusEl = h("div.form-status", { "aria-live": "polite" }, status("info", t("signup.codeSent", { secs: sent.expires_in_secs })));
    const button = h("button.primary", { type: "submit" }, t("signup.verify"));
    const form = h("form#reset-code", h("p", state.phone), field(t("signup.code"), code, { required: true }), statusEl, button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const verified = await busy(button, statusEl, () => rpc("auth_verifyPhoneCode", [state.phone, code.value.trim()]));
        state.token = verified.verification_token;
        stepPassword();
      } catch (error) {
        if (error instanceof RpcError && error.data && error.data.restart_signup) {
          stepStart(status("error", `${t("reset.restart")} ${errorMessage(error)}`));
        } else {
          code.select();
        }
      }
    });
    fill(body, form);
    code.focus();
  };

  const stepPassword = () => {
    const password = input({ type: "password", name: "new_password", autocomplete: "new-password", minlength: "10" });
    const password2 = input({ type: "password", name: "new_password2", autocomplete: "new-password" });
    const statusEl = h("div.form-status", { "aria-live": "polite" }, status("ok", t("signup.verified")));
    const button = h("button.primary", { type: "submit" }, t("reset.submit"));
    const form = h("form#reset-password", field(t("update.newPassword"), password, { required: true, hint: t("signup.passwordHint") }),
      field(t("signup.password2"), password2, { required: true }), statusEl, button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (password.value !== password2.value) {
        fill(statusEl, status("error", t("signup.passwordMismatch")));
        return;
      }
      try {
        await busy(button, statusEl, () => rpc("auth_resetPassword", [{
          email: state.email, phone: state.phone, verification_token: state.token, new_password: password.value,
        }]));
        // Every session of the account ended, this tab's too.
        clearSession();
        flash(t("reset.done"));
        go("/login");
      } catch (error) {
        if (error instanceof RpcError && (error.code === 3020 || (error.data && error.data.restart_signup))) {
          state.token = null;
          stepStart(status("error", errorMessage(error)));
        }
      }
    });
    fill(body, form);
    password.focus();
  };

  stepStart();
}

// ---- Phone number change -----------------------------------------------------------------

export async function renderPhone(main) {
  if (!session()) {
    go("/login?next=%2Fme%2Fphone");
    return;
  }
  const member = await me({ fresh: true });
  const body = h("div");
  add(main, h("section.narrow", h("h1", t("phone.title")),
    h("p", t("phone.current", { phone: member ? member.phone : "" })), body, help(t("phone.help"))));
  const state = { phone: "" };

  const stepPhone = (notice) => {
    const phone = input({ type: "tel", name: "phone", autocomplete: "tel", inputmode: "tel", value: state.phone });
    const statusEl = h("div.form-status", { "aria-live": "polite" }, notice || "");
    const button = h("button.primary", { type: "submit" }, t("signup.sendCode"));
    const form = h("form#phone-start", field(t("phone.new"), phone, { required: true, hint: t("signup.phoneHint") }), statusEl, button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const sent = await busy(button, statusEl, () => rpc("auth_requestPhoneCode", [phone.value.trim()]));
        state.phone = phone.value.trim();
        stepCode(sent);
      } catch {
        // Shown by busy().
      }
    });
    fill(body, form);
    phone.focus();
  };

  const stepCode = (sent) => {
    const code = input({ name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6", pattern: "[0-9]{6}" });
    const statusEl = h("div.form-status", { "aria-live": "polite" }, status("info", t("signup.codeSent", { secs: sent.expires_in_secs })));
    const button = h("button.primary", { type: "submit" }, t("phone.submit"));
    const form = h("form#phone-code", h("p", state.phone), field(t("signup.code"), code, { required: true }), statusEl, button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await busy(button, statusEl, async () => {
          const verified = await rpc("auth_verifyPhoneCode", [state.phone, code.value.trim()]);
          await rpc("account_update", [token(), { new_phone: state.phone, phone_verification_token: verified.verification_token }]);
        });
        await me({ fresh: true });
        flash(t("phone.done"));
        go("/me");
      } catch (error) {
        if (error instanceof RpcError && error.data && error.data.restart_signup) {
          stepPhone(status("error", `${t("reset.restart")} ${errorMessage(error)}`));
        } else {
          code.select();
        }
      }
    });
    fill(body, form);
    code.focus();
  };

  stepPhone();
}

// ---- Wallet key backup and restore -------------------------------------------------------

export async function renderWallet(main) {
  if (!session()) {
    go("/login?next=%2Fme%2Fwallet");
    return;
  }
  const account = session().account;
  const statusEl = h("div.form-status", { "aria-live": "polite" });
  const result = h("div#recovery-result");
  const button = h("button.primary#recovery-make", { type: "button" }, t("recovery.make"));
  button.addEventListener("click", async () => {
    try {
      const seed = await busy(button, statusEl, () => unlockWallet());
      const code = newRecoveryCode();
      const backup = await recoveryBackup(seed, code);
      const name = `truffle-wallet-recovery-${account.slice(0, 8)}.json`;
      fill(statusEl, status("ok", t("recovery.made")));
      fill(result, h("p", t("recovery.codeNote")), h("p", h("code#recovery-code.recovery-code", code)),
        h("p.actions", h("button.secondary#recovery-download", { type: "button", on: { click: () => download(name, backup) } }, t("recovery.download"))));
      download(name, backup);
    } catch {
      // Shown by busy().
    }
  });
  add(main, h("h1", t("recovery.title")),
    h("section.panel#recovery-backup", h("h2", t("recovery.backupTitle")), h("p", t("recovery.backupNote")), statusEl, h("p.actions", button), result),
    restoreControl(account, null, () => {
      flash(t("login.imported"));
      go("/me");
    }),
    help(t("recovery.help")));
}
