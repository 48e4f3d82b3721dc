// Product images: uploading a seller's files (`POST /images`), thumbnails on cards, and
// galleries that show an image only once the browser has checked its bytes against the
// blake3 the ledger keeps for the product.
//
// A gallery fetches each image's bytes itself, hashes them (blake3, the same code as the
// proofs), and shows them from a `blob:` URL of exactly those bytes, so what is on screen
// is what was checked. An image whose bytes do not hash to a proven hash of the product
// is not shown: its place says so (`data-verified="false"`).

import { t } from "./i18n.js";
import { plainHash } from "./ledger.js";
import { toHex } from "./borsh.js";
import { token } from "./session.js";
import { fill, h } from "./ui.js";

/** Largest file the node takes (`truffle_wire::images::MAX_UPLOAD_BYTES`). */
export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
/** Types the node takes. */
export const ACCEPTED_TYPES = ["image/jpeg", "image/png", "image/webp"];
/** Most images per product (`truffle_ledger::limits::MAX_IMAGES`). */
export const MAX_IMAGES = 16;

export const imageUrl = (hash) => `/images/${hash}`;
export const thumbUrl = (hash) => `/images/${hash}/thumb`;

/** A card's picture: the thumbnail of `hash`, or the brand's initials without one. */
export function cardThumb(hash, fallbackText, extraClass = "") {
  if (!hash) return h(`div.thumb${extraClass}`, { "aria-hidden": "true" }, fallbackText);
  const img = h("img", { src: thumbUrl(hash), alt: "", loading: "lazy", decoding: "async" });
  // A node that lost the file (or a thumbnail being replicated) shows the initials.
  img.addEventListener("error", () => img.replaceWith(document.createTextNode(fallbackText)), { once: true });
  return h(`div.thumb.photo${extraClass}`, { "aria-hidden": "true" }, img);
}

export class UploadError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Uploads `file` with the member's session; resolves with the node's `UploadedImage`. */
export async function uploadImage(file) {
  if (file.size > MAX_UPLOAD_BYTES) throw new UploadError("too_large", t("image.error.too_large"));
  if (file.type && !ACCEPTED_TYPES.includes(file.type)) {
    throw new UploadError("unsupported_type", t("image.error.unsupported_type"));
  }
  let response;
  try {
    response = await fetch("/images", {
      method: "POST",
      headers: { authorization: `Bearer ${token()}`, "content-type": file.type || "application/octet-stream" },
      body: file,
    });
  } catch {
    throw new UploadError("network", t("error.network"));
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Answered below by its status.
  }
  if (response.ok && body && body.hash) return body;
  const code = (body && body.error) || "unavailable";
  const known = t(`image.error.${code}`, { secs: (body && body.retry_after_secs) ?? "" });
  throw new UploadError(code, known.startsWith("image.error.") ? (body && body.message) || `HTTP ${response.status}` : known);
}

/**
 * Fetches image `hash` and hashes what came: `{ status: "ok", url }` (a blob URL of the
 * checked bytes) when the bytes are that hash's, `{ status: "mismatch" }` when they are
 * not, `{ status: "missing" }` when the node has no such image.
 */
export async function fetchChecked(hash) {
  let response;
  try {
    response = await fetch(imageUrl(hash));
  } catch {
    return { status: "missing" };
  }
  if (!response.ok) return { status: "missing" };
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (toHex(plainHash(bytes)) !== hash) return { status: "mismatch" };
  const type = response.headers.get("content-type") || "application/octet-stream";
  return { status: "ok", url: URL.createObjectURL(new Blob([bytes], { type })) };
}

/**
 * A gallery of `hashes` (as the node reports the product), each shown once its bytes hash
 * to it and the hash is among `proven` (a promise of the product's `image_hashes` as
 * proven from the genesis; it may reject, and then nothing counts as verified).
 * `gallery.done` resolves with `{ total, verified, mismatched, missing, unproven }`.
 */
export function gallery(hashes, proven, { label, alt } = {}) {
  const list = h("ul.gallery", { "aria-label": label || t("image.gallery") });
  const el = hashes.length ? h("section.gallery-box", list) : h("section.gallery-box", { hidden: true });
  const slots = hashes.map((hash, index) => {
    const slot = h("li.image-slot", { "data-hash": hash, "data-verified": "pending" },
      h("p.image-note", t("image.checking")));
    list.append(slot);
    return { hash, index, slot };
  });
  const done = (async () => {
    const provenHashes = await proven.then((list) => list.map(String), () => null);
    const summary = { total: hashes.length, verified: 0, mismatched: 0, missing: 0, unproven: 0 };
    await Promise.all(slots.map(async ({ hash, index, slot }) => {
      const fetched = await fetchChecked(hash);
      const onLedger = provenHashes !== null && provenHashes.includes(hash);
      const picture = (url) => h("img", { src: url, alt: alt ? `${alt} ${index + 1}` : "", decoding: "async" });
      if (fetched.status === "ok" && onLedger) {
        summary.verified++;
        slot.dataset.verified = "true";
        fill(slot, picture(fetched.url),
          h("p.image-note.ok", h("span.check", { "aria-hidden": "true" }, "✓ "), t("image.verified")));
      } else if (fetched.status === "mismatch" || (fetched.status === "ok" && provenHashes !== null)) {
        // Bytes that are not the hash's, or a hash the proven product does not name.
        summary.mismatched++;
        slot.dataset.verified = "false";
        if (fetched.url) URL.revokeObjectURL(fetched.url);
        fill(slot, h("p.image-note.error", { role: "alert" }, t("image.mismatch")));
      } else if (fetched.status === "missing") {
        summary.missing++;
        slot.dataset.verified = "missing";
        fill(slot, h("p.image-note", t("image.missing")));
      } else {
        // The bytes are the hash's, but the ledger could not be checked here.
        summary.unproven++;
        slot.dataset.verified = "unproven";
        fill(slot, picture(fetched.url), h("p.image-note", t("image.unproven")));
      }
    }));
    el.dataset.verified = String(summary.verified);
    el.dataset.mismatched = String(summary.mismatched);
    return summary;
  })();
  return { el, done };
}

/** The line of a verification panel about the images (null when there are none). */
export function imagesVerdict(summary) {
  if (!summary.total) return null;
  if (summary.mismatched) {
    return h("p.detail.images-verdict.bad", { "data-mismatched": String(summary.mismatched) },
      t("image.verdict.bad", { bad: summary.mismatched, n: summary.total }));
  }
  if (summary.verified === summary.total) {
    return h("p.detail.images-verdict.ok", t("image.verdict.ok", { n: summary.total }));
  }
  return h("p.detail.images-verdict", t("image.verdict.partial", { ok: summary.verified, n: summary.total }));
}
