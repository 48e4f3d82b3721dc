//! Product images: sellers upload them, every validator keeps them, the ledger keeps
//! their blake3.
//!
//! ```text
//! seller ──POST /images (session)──► node: session · approved seller on the ledger
//!        ──► process (a blocking thread, two at a time): type from the bytes, size and
//!            pixel bounds, decode, EXIF orientation applied, re-encoded without any
//!            metadata, scaled to 2048 px, a 480 px thumbnail
//!        ──► ImageCommand::Put through Raft (via the leader) ──► every node's applier:
//!            hash = blake3(image) checked, bounds checked, stored in the service family
//!        ◄── { hash, image, thumb }   the seller names `hash` in `register_product`
//! anyone ──GET /images/{hash}[/thumb]──► any node: the stored bytes, immutable
//! browser ──► blake3(bytes) == the product's hash on the ledger (proven) ──► "verified"
//! ```
//!
//! - **Replicated, off the ledger.** Images are service data like members' records and
//!   chat ([`apply`]): a few MiB per entry, so they travel through Raft (bounded well
//!   under the peer message limit) and reach late nodes through snapshots; a node asked
//!   for an image it does not hold answers 404, never another node's guess.
//! - **Content-addressed.** The key is the blake3 of the stored file, the same value the
//!   ledger keeps in `Product::image_hashes`; uploading the same file twice stores it
//!   once (processing is deterministic).
//! - **Bounded.** [`truffle_wire::images`] holds the limits; each uploader may store
//!   [`UPLOADS_PER_WINDOW`] images per [`UPLOAD_WINDOW_MS`] (a replicated window).
//!   Images are not personal data (they describe products, and what they carried
//!   about the camera or place is stripped), so a seller's withdrawal keeps them.

pub mod apply;
pub mod process;

use std::sync::Arc;

use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::types::{Account, AccountStatus};
use truffle_ledger::{Hash, PublicKey};
use truffle_wire::images::{image_path, thumb_path, Rendition, UploadedImage};

use crate::chat::overlay::{Overlay, Window};
use crate::services::members::{MemberError, Members};
use apply::{ImageCommand, ImageMeta, ImageReply, RenditionFile, RenditionMeta};
pub use process::{Encoding, ImageError};
use truffle_engine::Engine;

/// The images' tag among the replicated service commands (after members' 0–9, the
/// Kakao link's 10 and chat's 11).
pub const SERVICE_TAG: u8 = 12;
/// Images a seller may store per [`UPLOAD_WINDOW_MS`].
pub const UPLOADS_PER_WINDOW: u32 = 100;
/// The window of [`UPLOADS_PER_WINDOW`].
pub const UPLOAD_WINDOW_MS: u64 = 60 * 60 * 1000;
/// Uploads decoded at once on a node (each may take a few hundred MB while decoding).
const CONCURRENT_PROCESSING: usize = 2;

/// Why an upload failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The session is not valid (or another member error).
    #[error(transparent)]
    Member(#[from] MemberError),
    /// The member is not an approved seller on the ledger.
    #[error("only approved sellers upload product images")]
    NotSeller,
    /// The file is not taken.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// Too many uploads: wait.
    #[error("too many images uploaded; retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The replicated data could not be read.
    #[error("the node cannot serve this now: {0}")]
    Service(#[from] truffle_consensus::ServiceError),
    /// The chain engine could not serve this now (no leader, behind, ...).
    #[error("the node cannot serve this now: {0}")]
    Engine(#[from] truffle_engine::EngineError),
    /// Something else on this node.
    #[error("the node cannot serve this now: {0}")]
    Unavailable(String),
}

impl UploadError {
    /// Whether the same upload may succeed if made again a little later.
    pub fn retryable(&self) -> bool {
        match self {
            UploadError::Engine(error) => error.retryable(),
            UploadError::Member(MemberError::Engine(error)) => error.retryable(),
            UploadError::RateLimited { .. } | UploadError::Unavailable(_) => true,
            _ => false,
        }
    }
}

/// A stored file as served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedImage {
    /// Its encoding (the content type).
    pub encoding: Encoding,
    /// The file.
    pub bytes: Vec<u8>,
}

/// The image service of a node.
pub struct ImageHub {
    engine: Engine,
    members: Arc<Members>,
    processing: tokio::sync::Semaphore,
}

impl std::fmt::Debug for ImageHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageHub").finish_non_exhaustive()
    }
}

fn rendition(meta: &RenditionMeta, url: String) -> Rendition {
    Rendition {
        content_type: meta.encoding.content_type().to_owned(),
        width: meta.width,
        height: meta.height,
        bytes: meta.bytes,
        url,
    }
}

fn file(encoded: process::Encoded) -> RenditionFile {
    RenditionFile {
        encoding: encoded.encoding,
        width: encoded.width,
        height: encoded.height,
        bytes: encoded.bytes,
    }
}

impl ImageHub {
    /// Images over `engine`, uploaded by the members of `members`.
    pub(crate) fn new(engine: Engine, members: Arc<Members>) -> ImageHub {
        ImageHub {
            engine,
            members,
            processing: tokio::sync::Semaphore::new(CONCURRENT_PROCESSING),
        }
    }

    /// Takes an upload of the logged-in seller: processes the file and stores the
    /// result on every validator. Answers with its hash once this node holds it.
    pub async fn upload(
        &self,
        session_token: &str,
        upload: Vec<u8>,
    ) -> Result<UploadedImage, UploadError> {
        let member = self.members.session(&self.engine, session_token).await?;
        let account: Option<Account> = match self
            .engine
            .store()
            .get(&keys::account(&member.account))
            .map_err(|e| UploadError::Unavailable(e.to_string()))?
        {
            Some(bytes) => Some(
                decode_record("account", &bytes)
                    .map_err(|e| UploadError::Unavailable(e.to_string()))?,
            ),
            None => None,
        };
        if !account.is_some_and(|a| a.is_approved_seller() && a.status == AccountStatus::Active) {
            return Err(UploadError::NotSeller);
        }
        self.store(member.account, upload).await
    }

    /// Processes `upload` and stores the result on every validator, as uploaded by
    /// `uploader` (whom the caller vouches for: [`ImageHub::upload`] checks the session
    /// of an approved seller; the demo data of `truffle dev` stores its own).
    pub async fn store(
        &self,
        uploader: PublicKey,
        upload: Vec<u8>,
    ) -> Result<UploadedImage, UploadError> {
        // A file is checked before it is decoded, then decoded off the async threads.
        if upload.is_empty() || upload.len() > truffle_wire::images::MAX_UPLOAD_BYTES {
            return Err(ImageError::TooLarge {
                max_bytes: truffle_wire::images::MAX_UPLOAD_BYTES,
                got: upload.len(),
            }
            .into());
        }
        let processed = {
            let _permit = self
                .processing
                .acquire()
                .await
                .map_err(|e| UploadError::Unavailable(e.to_string()))?;
            tokio::task::spawn_blocking(move || process::process(&upload))
                .await
                .map_err(|e| ImageError::Undecodable(format!("the decoder failed: {e}")))??
        };
        let hash = Hash::of(&processed.image.bytes);
        if let Some(meta) = self.meta(&hash)? {
            return Ok(Self::answer(hash, &meta, false));
        }
        let now_ms = self.engine.now_ms();
        let window: Window = Overlay::new(self.engine.store())
            .get(&apply::rate_key(&uploader))?
            .unwrap_or_default();
        if let Some(retry_after_ms) = window.is_full(now_ms, UPLOAD_WINDOW_MS, UPLOADS_PER_WINDOW) {
            return Err(UploadError::RateLimited {
                retry_after_secs: retry_after_ms.div_ceil(1000),
            });
        }
        let command = ImageCommand::Put {
            hash,
            uploader,
            image: file(processed.image),
            thumb: file(processed.thumb),
            now_ms,
            rate_max: UPLOADS_PER_WINDOW,
            rate_window_ms: UPLOAD_WINDOW_MS,
        };
        let reply = self
            .engine
            .propose_service(encode_command(&command))
            .await?;
        let created = match borsh::from_slice(&reply)
            .map_err(|e| UploadError::Unavailable(format!("bad image reply: {e}")))?
        {
            ImageReply::Stored { created } => created,
            ImageReply::RateLimited { retry_after_ms } => {
                return Err(UploadError::RateLimited {
                    retry_after_secs: retry_after_ms.div_ceil(1000),
                })
            }
            ImageReply::BadImage => {
                return Err(UploadError::Unavailable(
                    "the cluster refused the processed image".into(),
                ))
            }
        };
        let meta = self
            .meta(&hash)?
            .ok_or_else(|| UploadError::Unavailable("the stored image is not readable".into()))?;
        Ok(Self::answer(hash, &meta, created))
    }

    fn answer(hash: Hash, meta: &ImageMeta, created: bool) -> UploadedImage {
        UploadedImage {
            hash,
            image: rendition(&meta.image, image_path(&hash)),
            thumb: rendition(&meta.thumb, thumb_path(&hash)),
            created,
        }
    }

    /// What this node holds of the image `hash`.
    pub fn meta(&self, hash: &Hash) -> Result<Option<ImageMeta>, truffle_consensus::ServiceError> {
        Overlay::new(self.engine.store()).get(&apply::meta_key(hash))
    }

    /// The stored image `hash` (its blake3 is `hash`).
    pub fn image(
        &self,
        hash: &Hash,
    ) -> Result<Option<ServedImage>, truffle_consensus::ServiceError> {
        self.served(hash, false)
    }

    /// The thumbnail of the image `hash`.
    pub fn thumb(
        &self,
        hash: &Hash,
    ) -> Result<Option<ServedImage>, truffle_consensus::ServiceError> {
        self.served(hash, true)
    }

    fn served(
        &self,
        hash: &Hash,
        thumb: bool,
    ) -> Result<Option<ServedImage>, truffle_consensus::ServiceError> {
        let Some(meta) = self.meta(hash)? else {
            return Ok(None);
        };
        let (key, encoding) = if thumb {
            (apply::thumb_key(hash), meta.thumb.encoding)
        } else {
            (apply::full_key(hash), meta.image.encoding)
        };
        Ok(self
            .engine
            .store()
            .service_get(&key)?
            .map(|bytes| ServedImage { encoding, bytes }))
    }
}

/// An image command as the service router takes it: the tag, then the command.
pub(crate) fn encode_command(command: &ImageCommand) -> Vec<u8> {
    truffle_engine::encode_tagged(SERVICE_TAG, command)
}

/// The images' replicated service commands.
pub struct CommandApplier;

impl truffle_engine::TaggedService for CommandApplier {
    const TAG: u8 = SERVICE_TAG;
    type Command = ImageCommand;

    fn apply_command(
        &self,
        store: &truffle_store::Store,
        command: ImageCommand,
    ) -> Result<truffle_consensus::ServiceOutcome, truffle_consensus::ServiceError> {
        apply::apply(store, command)
    }
}
