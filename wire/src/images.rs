//! Product images over HTTP (not JSON-RPC: they are bytes): what `POST /images` takes and
//! answers, and the limits every node applies.
//!
//! - `POST /images` with `Authorization: Bearer <session token>` of an approved seller
//!   and the file as the body (JPEG, PNG or WebP; at most [`MAX_UPLOAD_BYTES`]) answers
//!   `201` with an [`UploadedImage`] (`200` when the node had it already). The node
//!   decodes the file, applies its EXIF orientation, drops every metadata segment (EXIF,
//!   XMP, ICC, comments) by re-encoding the pixels, scales it to at most
//!   [`STORED_MAX_SIDE`] pixels a side and makes a thumbnail of at most
//!   [`THUMB_MAX_SIDE`]; both are stored as JPEG, or PNG when the image has
//!   transparency, and replicated to every validator.
//! - `GET /images/{blake3}` and `GET /images/{blake3}/thumb` serve them, immutable
//!   (`Cache-Control: public, max-age=31536000, immutable`); `404` for unknown hashes.
//!
//! The ledger keeps the blake3 of the stored image (the `hash` answered here) in the
//! product's `image_hashes`, so anyone can check the bytes a node serves against it.

use serde::{Deserialize, Serialize};
use truffle_ledger::Hash;

/// Largest file `POST /images` takes.
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// Widest or tallest image taken, in pixels.
pub const MAX_UPLOAD_SIDE: u32 = 8_000;
/// Most pixels in an image taken (width × height).
pub const MAX_UPLOAD_PIXELS: u64 = 40_000_000;
/// Longest side of the stored image; larger uploads are scaled down.
pub const STORED_MAX_SIDE: u32 = 2_048;
/// Longest side of a thumbnail.
pub const THUMB_MAX_SIDE: u32 = 480;
/// Largest stored image: what is replicated through Raft stays well under the
/// 32 MiB peer message limit.
pub const MAX_STORED_BYTES: usize = 4 * 1024 * 1024;
/// Largest stored thumbnail.
pub const MAX_THUMB_BYTES: usize = 512 * 1024;
/// Media types the upload takes (recognised from the bytes, not the header).
pub const ACCEPTED_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// One stored rendition of an image (the image or its thumbnail).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendition {
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// Size, bytes.
    pub bytes: u64,
    /// Where the node serves it (a path on the node).
    pub url: String,
}

/// What `POST /images` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedImage {
    /// blake3 of the stored image: what a product registration names.
    pub hash: Hash,
    /// The stored image (metadata stripped).
    pub image: Rendition,
    /// Its thumbnail.
    pub thumb: Rendition,
    /// Whether this upload stored it (`false`: the cluster had it already).
    pub created: bool,
}

/// The path of an image.
pub fn image_path(hash: &Hash) -> String {
    format!("/images/{}", hash.to_hex())
}

/// The path of an image's thumbnail.
pub fn thumb_path(hash: &Hash) -> String {
    format!("/images/{}/thumb", hash.to_hex())
}

/// What a refused upload answers (with a 4xx or 5xx status).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRefused {
    /// A stable reason: `not_logged_in`, `not_a_seller`, `too_large`,
    /// `unsupported_type`, `bad_dimensions`, `undecodable`, `too_many_uploads`,
    /// `unavailable`.
    pub error: String,
    /// For people.
    pub message: String,
    /// Seconds to wait (`too_many_uploads`, `unavailable` when retrying may help).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}
