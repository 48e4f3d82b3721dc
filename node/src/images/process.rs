//! Turning an uploaded file into what the cluster stores: checked, decoded within
//! bounds, turned upright, stripped of every metadata segment, scaled and re-encoded,
//! with a thumbnail. Pure (no I/O, no clock): the same file gives the same bytes.
//!
//! Stripping is by construction, not by editing the file: only the decoded pixels are
//! encoded again, so EXIF (camera, GPS position, serial numbers), XMP, ICC profiles,
//! comments and anything appended to the file are left behind. The EXIF orientation is
//! applied to the pixels first, so a phone photo stays upright without its tag.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};
use truffle_wire::images::{
    MAX_STORED_BYTES, MAX_THUMB_BYTES, MAX_UPLOAD_BYTES, MAX_UPLOAD_PIXELS, MAX_UPLOAD_SIDE,
    STORED_MAX_SIDE, THUMB_MAX_SIDE,
};

/// JPEG quality of stored images.
const IMAGE_QUALITY: u8 = 88;
/// JPEG quality of thumbnails.
const THUMB_QUALITY: u8 = 80;
/// Most memory a decoder may allocate (a 40-megapixel RGBA image takes 160 MB).
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;

/// How a stored rendition is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub enum Encoding {
    /// JPEG (opaque images).
    Jpeg,
    /// PNG (images with transparency).
    Png,
}

impl Encoding {
    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Jpeg => "image/jpeg",
            Encoding::Png => "image/png",
        }
    }

    /// Whether `bytes` start as this encoding's files do.
    pub fn matches(self, bytes: &[u8]) -> bool {
        match self {
            Encoding::Jpeg => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            Encoding::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        }
    }
}

/// An encoded image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// How.
    pub encoding: Encoding,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// The file.
    pub bytes: Vec<u8>,
}

/// An upload made ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Processed {
    /// The image, at most [`STORED_MAX_SIDE`] a side.
    pub image: Encoded,
    /// The thumbnail, at most [`THUMB_MAX_SIDE`] a side.
    pub thumb: Encoded,
}

/// Why a file is not taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// More than [`MAX_UPLOAD_BYTES`], or nothing.
    #[error("an image file has 1 to {max_bytes} bytes, this one {got}")]
    TooLarge {
        /// The limit.
        max_bytes: usize,
        /// The size given.
        got: usize,
    },
    /// Not JPEG, PNG or WebP.
    #[error("only JPEG, PNG and WebP images are taken")]
    UnsupportedType,
    /// Too wide, too tall or too many pixels.
    #[error("{width}×{height} is out of bounds: at most {MAX_UPLOAD_SIDE} pixels a side and {MAX_UPLOAD_PIXELS} in all")]
    BadDimensions {
        /// Width found.
        width: u32,
        /// Height found.
        height: u32,
    },
    /// The file is damaged or not what its first bytes say.
    #[error("the image cannot be decoded: {0}")]
    Undecodable(String),
}

/// Checks, decodes, strips and re-encodes an uploaded file.
pub fn process(file: &[u8]) -> Result<Processed, ImageError> {
    if file.is_empty() || file.len() > MAX_UPLOAD_BYTES {
        return Err(ImageError::TooLarge {
            max_bytes: MAX_UPLOAD_BYTES,
            got: file.len(),
        });
    }
    let format = image::guess_format(file).map_err(|_| ImageError::UnsupportedType)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(ImageError::UnsupportedType);
    }
    let mut reader = ImageReader::with_format(Cursor::new(file), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_UPLOAD_SIDE);
    limits.max_image_height = Some(MAX_UPLOAD_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let undecodable = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => ImageError::BadDimensions {
            width: 0,
            height: 0,
        },
        other => ImageError::Undecodable(other.to_string()),
    };
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let (width, height) = decoder.dimensions();
    if width == 0
        || height == 0
        || width > MAX_UPLOAD_SIDE
        || height > MAX_UPLOAD_SIDE
        || u64::from(width) * u64::from(height) > MAX_UPLOAD_PIXELS
    {
        return Err(ImageError::BadDimensions { width, height });
    }
    // A missing or unreadable orientation tag means "as stored".
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut pixels = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    pixels.apply_orientation(orientation);
    let transparent = has_transparency(&pixels);
    Ok(Processed {
        image: encode_within(
            &pixels,
            STORED_MAX_SIDE,
            transparent,
            IMAGE_QUALITY,
            MAX_STORED_BYTES,
        )?,
        thumb: encode_within(
            &pixels,
            THUMB_MAX_SIDE,
            transparent,
            THUMB_QUALITY,
            MAX_THUMB_BYTES,
        )?,
    })
}

/// Whether any pixel is not fully opaque.
fn has_transparency(pixels: &DynamicImage) -> bool {
    pixels.color().has_alpha() && pixels.to_rgba8().pixels().any(|p| p.0[3] != u8::MAX)
}

/// Encodes `pixels` scaled to at most `max_side` a side, smaller still until the file
/// fits in `max_bytes`.
fn encode_within(
    pixels: &DynamicImage,
    max_side: u32,
    transparent: bool,
    quality: u8,
    max_bytes: usize,
) -> Result<Encoded, ImageError> {
    let mut side = max_side;
    loop {
        let scaled = if pixels.width() > side || pixels.height() > side {
            pixels.resize(side, side, FilterType::Lanczos3)
        } else {
            pixels.clone()
        };
        let encoded = encode(&scaled, transparent, quality)?;
        if encoded.bytes.len() <= max_bytes || side <= 64 {
            return Ok(encoded);
        }
        side = side * 3 / 4;
    }
}

fn encode(pixels: &DynamicImage, transparent: bool, quality: u8) -> Result<Encoded, ImageError> {
    let failed = |e: image::ImageError| ImageError::Undecodable(e.to_string());
    let mut bytes = Vec::new();
    let encoding = if transparent {
        let rgba = pixels.to_rgba8();
        PngEncoder::new_with_quality(&mut bytes, CompressionType::Best, PngFilter::Adaptive)
            .write_image(
                rgba.as_raw(),
                rgba.width(),
                rgba.height(),
                image::ExtendedColorType::Rgba8,
            )
            .map_err(failed)?;
        Encoding::Png
    } else {
        let rgb = pixels.to_rgb8();
        JpegEncoder::new_with_quality(&mut bytes, quality)
            .encode_image(&rgb)
            .map_err(failed)?;
        Encoding::Jpeg
    };
    Ok(Encoded {
        encoding,
        width: pixels.width(),
        height: pixels.height(),
        bytes,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb, Rgba};

    /// A JPEG of `width`×`height` (a gradient, so it is not trivially small).
    pub(crate) fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let pixels = ImageBuffer::from_fn(width, height, |x, y| {
            Rgb([
                (x * 255 / width.max(1)) as u8,
                (y * 255 / height.max(1)) as u8,
                90,
            ])
        });
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&pixels)
            .unwrap();
        out
    }

    /// An EXIF APP1 segment (big-endian TIFF) with an orientation tag and an
    /// ImageDescription holding `text`.
    pub(crate) fn exif_segment(orientation: u16, text: &str) -> Vec<u8> {
        let mut text_bytes = text.as_bytes().to_vec();
        text_bytes.push(0);
        let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
        tiff.extend_from_slice(&2u16.to_be_bytes()); // two entries
                                                     // 0x010E ImageDescription, ASCII, count, offset of the text (after the IFD).
        let text_offset = 8 + 2 + 2 * 12 + 4;
        tiff.extend_from_slice(&0x010Eu16.to_be_bytes());
        tiff.extend_from_slice(&2u16.to_be_bytes());
        tiff.extend_from_slice(&(text_bytes.len() as u32).to_be_bytes());
        tiff.extend_from_slice(&(text_offset as u32).to_be_bytes());
        // 0x0112 Orientation, SHORT, 1, value in the first two bytes.
        tiff.extend_from_slice(&0x0112u16.to_be_bytes());
        tiff.extend_from_slice(&3u16.to_be_bytes());
        tiff.extend_from_slice(&1u32.to_be_bytes());
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]);
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        tiff.extend_from_slice(&text_bytes);
        let mut body = b"Exif\x00\x00".to_vec();
        body.extend_from_slice(&tiff);
        let mut segment = vec![0xFF, 0xE1];
        segment.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        segment.extend_from_slice(&body);
        segment
    }

    /// `jpeg` with `segment` inserted right after its start-of-image marker.
    pub(crate) fn with_segment(jpeg: &[u8], segment: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(segment);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// Marker segments (APPn, COM) of a JPEG before its scan.
    fn app_segments(jpeg: &[u8]) -> Vec<u8> {
        let mut markers = Vec::new();
        let mut at = 2;
        while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
            let marker = jpeg[at + 1];
            if marker == 0xDA {
                break;
            }
            let len = u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]) as usize;
            if (0xE0..=0xEF).contains(&marker) || marker == 0xFE {
                markers.push(marker);
            }
            at += 2 + len;
        }
        markers
    }

    #[test]
    fn exif_goes_in_and_none_comes_out_the_picture_kept_upright() {
        let plain = jpeg(64, 32);
        let secret = "GPS 37.5665N 126.9780E serial CAM-1234";
        // Orientation 6: the camera was turned; the stored pixels are 64×32 but the
        // picture is 32×64.
        let tagged = with_segment(&plain, &exif_segment(6, secret));
        let comment = [&[0xFF, 0xFE, 0x00, 0x0A][..], b"comment!"].concat();
        let tagged = with_segment(&tagged, &comment);
        assert!(contains(&tagged, b"Exif\0\0") && contains(&tagged, secret.as_bytes()));

        let out = process(&tagged).unwrap();
        for rendition in [&out.image, &out.thumb] {
            assert_eq!(rendition.encoding, Encoding::Jpeg);
            assert!(Encoding::Jpeg.matches(&rendition.bytes));
            assert!(!contains(&rendition.bytes, b"Exif"), "no EXIF");
            assert!(!contains(&rendition.bytes, secret.as_bytes()));
            assert!(!contains(&rendition.bytes, b"comment!"));
            // Only the encoder's own JFIF header: no APP1 (EXIF/XMP), APP2 (ICC), COM.
            assert!(app_segments(&rendition.bytes).iter().all(|m| *m == 0xE0));
            // Turned upright: 32 wide, 64 tall.
            assert_eq!((rendition.width, rendition.height), (32, 64));
            let decoded = image::load_from_memory(&rendition.bytes).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (32, 64));
        }
        // The same file gives the same bytes (the hash is the upload's identity).
        assert_eq!(process(&tagged).unwrap(), out);
    }

    #[test]
    fn large_images_are_scaled_and_thumbnails_made() {
        let big = jpeg(3000, 1500);
        let out = process(&big).unwrap();
        assert_eq!((out.image.width, out.image.height), (STORED_MAX_SIDE, 1024));
        assert_eq!((out.thumb.width, out.thumb.height), (THUMB_MAX_SIDE, 240));
        assert!(out.image.bytes.len() <= MAX_STORED_BYTES);
        assert!(out.thumb.bytes.len() <= MAX_THUMB_BYTES);
        let small = process(&jpeg(100, 50)).unwrap();
        assert_eq!(
            (small.image.width, small.image.height),
            (100, 50),
            "never enlarged"
        );
        assert_eq!((small.thumb.width, small.thumb.height), (100, 50));
    }

    #[test]
    fn transparency_stays_png_and_opaque_pngs_become_jpeg() {
        let encode_png = |pixels: &ImageBuffer<Rgba<u8>, Vec<u8>>| {
            let mut out = Vec::new();
            PngEncoder::new(&mut out)
                .write_image(
                    pixels.as_raw(),
                    pixels.width(),
                    pixels.height(),
                    image::ExtendedColorType::Rgba8,
                )
                .unwrap();
            out
        };
        let clear = ImageBuffer::from_fn(40, 40, |x, _| {
            Rgba([200, 10, 10, if x < 20 { 0 } else { 255 }])
        });
        let out = process(&encode_png(&clear)).unwrap();
        assert_eq!(out.image.encoding, Encoding::Png);
        assert!(Encoding::Png.matches(&out.image.bytes));
        let opaque = ImageBuffer::from_fn(40, 40, |_, _| Rgba([200, 10, 10, 255]));
        assert_eq!(
            process(&encode_png(&opaque)).unwrap().image.encoding,
            Encoding::Jpeg
        );
    }

    #[test]
    fn webp_is_taken() {
        let pixels = ImageBuffer::from_fn(30, 20, |x, _| Rgba([10, (x * 8) as u8, 30, 255]));
        let mut out = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut out)
            .encode(pixels.as_raw(), 30, 20, image::ExtendedColorType::Rgba8)
            .unwrap();
        let processed = process(&out).unwrap();
        assert_eq!(processed.image.encoding, Encoding::Jpeg);
        assert_eq!((processed.image.width, processed.image.height), (30, 20));
    }

    #[test]
    fn limits_on_size_type_and_dimensions() {
        assert!(matches!(
            process(&[]),
            Err(ImageError::TooLarge { got: 0, .. })
        ));
        let huge = vec![0u8; MAX_UPLOAD_BYTES + 1];
        assert!(matches!(process(&huge), Err(ImageError::TooLarge { .. })));
        assert_eq!(process(b"GIF89a......"), Err(ImageError::UnsupportedType));
        assert_eq!(
            process(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            Err(ImageError::UnsupportedType)
        );
        assert_eq!(
            process(b"hello, not an image"),
            Err(ImageError::UnsupportedType)
        );
        // A JPEG cut short.
        let cut = jpeg(64, 64);
        assert!(matches!(
            process(&cut[..cut.len() / 3]),
            Err(ImageError::Undecodable(_))
        ));
        // A PNG header claiming 9000×10 pixels: refused from the header, before decoding.
        let wide = png_header(9000, 10);
        assert!(matches!(
            process(&wide),
            Err(ImageError::BadDimensions { .. })
        ));
        let bomb = png_header(7000, 7000);
        assert_eq!(
            process(&bomb),
            Err(ImageError::BadDimensions {
                width: 7000,
                height: 7000
            }),
            "49 megapixels"
        );
    }

    /// A PNG of an RGB image of `width`×`height` whose pixel data is missing (an
    /// empty IDAT): all a decompression bomb needs to claim its size.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        for chunk in [ihdr, b"IDAT".to_vec(), b"IEND".to_vec()] {
            out.extend_from_slice(&(chunk.len() as u32 - 4).to_be_bytes());
            out.extend_from_slice(&chunk);
            out.extend_from_slice(&crc32(&chunk).to_be_bytes());
        }
        out
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
