//! The replicated half of product images: [`ImageCommand`]s applied by every node in
//! log order into the service family. The proposer did the decoding and re-encoding;
//! the applier checks what it is handed (the hash is the image's blake3, the sizes are
//! within bounds, the files are what they say) and stores it, so every validator holds
//! the same bytes under the same hash.
//!
//! Keys (service family):
//!
//! | key | value |
//! | --- | --- |
//! | `image/meta/{blake3}` | [`ImageMeta`]: both renditions' encodings and sizes, the uploader |
//! | `image/full/{blake3}` | the image file (raw bytes) |
//! | `image/thumb/{blake3}` | the thumbnail file (raw bytes) |
//! | `image/rate/{account}` | the uploader's rate window |

use borsh::{BorshDeserialize, BorshSerialize};
use truffle_consensus::ServiceOutcome;
use truffle_ledger::{Hash, PublicKey};
use truffle_store::Store;
use truffle_wire::images::{MAX_STORED_BYTES, MAX_THUMB_BYTES, STORED_MAX_SIDE, THUMB_MAX_SIDE};

use super::process::Encoding;
use crate::chat::overlay::{key, Overlay, Window};

pub(crate) const META: &[u8] = b"image/meta/";
pub(crate) const FULL: &[u8] = b"image/full/";
pub(crate) const THUMB: &[u8] = b"image/thumb/";
const RATE: &[u8] = b"image/rate/";

/// How one rendition is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RenditionMeta {
    /// Its encoding.
    pub encoding: Encoding,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// Size, bytes.
    pub bytes: u64,
}

/// What the cluster knows of a stored image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ImageMeta {
    /// The image.
    pub image: RenditionMeta,
    /// Its thumbnail.
    pub thumb: RenditionMeta,
    /// The seller whose upload stored it.
    pub uploader: PublicKey,
    /// When (proposer's clock).
    pub stored_ms: u64,
}

/// A rendition as a command carries it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RenditionFile {
    /// Its encoding.
    pub encoding: Encoding,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// The file.
    pub bytes: Vec<u8>,
}

impl RenditionFile {
    fn meta(&self) -> RenditionMeta {
        RenditionMeta {
            encoding: self.encoding,
            width: self.width,
            height: self.height,
            bytes: self.bytes.len() as u64,
        }
    }

    fn is_sound(&self, max_side: u32, max_bytes: usize) -> bool {
        (1..=max_side).contains(&self.width)
            && (1..=max_side).contains(&self.height)
            && !self.bytes.is_empty()
            && self.bytes.len() <= max_bytes
            && self.encoding.matches(&self.bytes)
    }
}

/// A change to the stored images. Variants are only appended.
#[derive(Clone, Debug, BorshSerialize, BorshDeserialize)]
pub enum ImageCommand {
    /// Stores an image and its thumbnail (a no-op when the hash is stored already).
    Put {
        /// blake3 of `image.bytes`.
        hash: Hash,
        /// The seller uploading it.
        uploader: PublicKey,
        /// The image, metadata stripped.
        image: RenditionFile,
        /// Its thumbnail.
        thumb: RenditionFile,
        /// The proposer's clock.
        now_ms: u64,
        /// Most uploads per window (the proposer's setting).
        rate_max: u32,
        /// The window, ms.
        rate_window_ms: u64,
    },
}

/// What an image command did.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ImageReply {
    /// The image is stored (`created`: by this command).
    Stored {
        /// Whether this command stored it.
        created: bool,
    },
    /// The hash is not the image's, or a file is out of bounds or not what it says.
    BadImage,
    /// The uploader is over the rate limit.
    RateLimited {
        /// How long until the window ends, ms.
        retry_after_ms: u64,
    },
}

pub(crate) fn meta_key(hash: &Hash) -> Vec<u8> {
    key(META, &[&hash.0])
}
pub(crate) fn full_key(hash: &Hash) -> Vec<u8> {
    key(FULL, &[&hash.0])
}
pub(crate) fn thumb_key(hash: &Hash) -> Vec<u8> {
    key(THUMB, &[&hash.0])
}
pub(crate) fn rate_key(account: &PublicKey) -> Vec<u8> {
    key(RATE, &[&account.0])
}

/// Applies an image command.
pub(crate) fn apply(
    store: &Store,
    command: ImageCommand,
) -> Result<ServiceOutcome, truffle_consensus::ServiceError> {
    let mut o = Overlay::new(store);
    let reply = match command {
        ImageCommand::Put {
            hash,
            uploader,
            image,
            thumb,
            now_ms,
            rate_max,
            rate_window_ms,
        } => put(
            &mut o,
            hash,
            uploader,
            (image, thumb),
            now_ms,
            (rate_max, rate_window_ms),
        )?,
    };
    Ok(ServiceOutcome {
        changes: o.into_changes(),
        response: borsh::to_vec(&reply).expect("encoding to a Vec cannot fail"),
    })
}

fn put(
    o: &mut Overlay<'_>,
    hash: Hash,
    uploader: PublicKey,
    (image, thumb): (RenditionFile, RenditionFile),
    now_ms: u64,
    (rate_max, rate_window_ms): (u32, u64),
) -> Result<ImageReply, truffle_consensus::ServiceError> {
    if !image.is_sound(STORED_MAX_SIDE, MAX_STORED_BYTES)
        || !thumb.is_sound(THUMB_MAX_SIDE, MAX_THUMB_BYTES)
        || Hash::of(&image.bytes) != hash
    {
        return Ok(ImageReply::BadImage);
    }
    if o.exists(&meta_key(&hash))? {
        return Ok(ImageReply::Stored { created: false });
    }
    let mut window: Window = o.get(&rate_key(&uploader))?.unwrap_or_default();
    if let Err(retry_after_ms) = window.take(now_ms, rate_window_ms, rate_max) {
        return Ok(ImageReply::RateLimited { retry_after_ms });
    }
    o.put(rate_key(&uploader), &window);
    o.put(
        meta_key(&hash),
        &ImageMeta {
            image: image.meta(),
            thumb: thumb.meta(),
            uploader,
            stored_ms: now_ms,
        },
    );
    o.put_raw(full_key(&hash), image.bytes);
    o.put_raw(thumb_key(&hash), thumb.bytes);
    Ok(ImageReply::Stored { created: true })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::overlay::Overlay;
    use crate::images::process::{process, tests::jpeg};
    use truffle_consensus::ServiceApplier;
    use truffle_ledger::Keypair;

    fn run(store: &Store, command: ImageCommand) -> ImageReply {
        let outcome = crate::service_router()
            .apply(store, &super::super::encode_command(&command))
            .unwrap();
        store.service_write(&outcome.changes, &[]).unwrap();
        borsh::from_slice(&outcome.response).unwrap()
    }

    fn put_cmd(file: &[u8], uploader: PublicKey, now_ms: u64) -> (Hash, ImageCommand) {
        let processed = process(file).unwrap();
        let hash = Hash::of(&processed.image.bytes);
        let rendition = |e: crate::images::process::Encoded| RenditionFile {
            encoding: e.encoding,
            width: e.width,
            height: e.height,
            bytes: e.bytes,
        };
        (
            hash,
            ImageCommand::Put {
                hash,
                uploader,
                image: rendition(processed.image),
                thumb: rendition(processed.thumb),
                now_ms,
                rate_max: 2,
                rate_window_ms: 1_000,
            },
        )
    }

    #[test]
    fn images_are_stored_once_checked_and_rate_limited() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let seller = Keypair::from_name("seller").public();

        let (hash, put) = put_cmd(&jpeg(64, 48), seller, 10);
        assert_eq!(
            run(&store, put.clone()),
            ImageReply::Stored { created: true }
        );
        assert_eq!(run(&store, put), ImageReply::Stored { created: false });
        let o = Overlay::new(&store);
        let meta: ImageMeta = o.get(&meta_key(&hash)).unwrap().unwrap();
        assert_eq!((meta.image.width, meta.image.height), (64, 48));
        assert_eq!(meta.uploader, seller);
        let full = o.get_raw(&full_key(&hash)).unwrap().unwrap();
        assert_eq!(
            Hash::of(&full),
            hash,
            "stored raw: the bytes served hash to the key"
        );
        assert!(o.get_raw(&thumb_key(&hash)).unwrap().is_some());

        // A hash that is not the image's, a file that is not what it says.
        let (_, mut wrong) = put_cmd(&jpeg(32, 32), seller, 20);
        let ImageCommand::Put { hash, .. } = &mut wrong;
        *hash = Hash::of(b"something else");
        assert_eq!(run(&store, wrong), ImageReply::BadImage);
        let (_, mut lying) = put_cmd(&jpeg(33, 33), seller, 20);
        let ImageCommand::Put { image, hash, .. } = &mut lying;
        image.encoding = Encoding::Png;
        *hash = Hash::of(&image.bytes);
        assert_eq!(run(&store, lying), ImageReply::BadImage);

        // Two uploads a second (the command's setting): the third waits.
        let (_, second) = put_cmd(&jpeg(35, 35), seller, 30);
        assert_eq!(run(&store, second), ImageReply::Stored { created: true });
        let (_, third) = put_cmd(&jpeg(36, 36), seller, 40);
        assert_eq!(
            run(&store, third),
            ImageReply::RateLimited {
                retry_after_ms: 970
            }
        );
        let (_, later) = put_cmd(&jpeg(36, 36), seller, 1_100);
        assert_eq!(run(&store, later), ImageReply::Stored { created: true });
    }
}
