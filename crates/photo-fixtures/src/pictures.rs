//! The photos' images: real PNGs, so that a window decodes and shows them, each photo its own
//! colours, each rendition as large as its service documents it. The stored image of every
//! photo is [`STORED`]; renditions are drawn for the size asked, not scaled from it.

/// The size of every photo as stored (the metadata the fixtures list says so too).
pub const STORED: (u32, u32) = (640, 480);

/// How large a rendition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// The image as stored: [`STORED`].
    Stored,
    /// Fitted within `width` × `height`, keeping the stored aspect ratio.
    Within(u32, u32),
    /// Exactly `width` × `height` (cropped to it).
    Exactly(u32, u32),
}

impl Size {
    /// The rendition's width and height in pixels, at least 1 × 1.
    pub fn pixels(self) -> (u32, u32) {
        let (width, height) = match self {
            Self::Stored => STORED,
            Self::Exactly(width, height) => (width, height),
            Self::Within(width, height) => {
                let (stored_width, stored_height) = STORED;
                // The side that fills its bound first decides the scale.
                if u64::from(width) * u64::from(stored_height)
                    <= u64::from(height) * u64::from(stored_width)
                {
                    let fitted =
                        u64::from(width) * u64::from(stored_height) / u64::from(stored_width);
                    (width, u32::try_from(fitted).unwrap_or(u32::MAX))
                } else {
                    let fitted =
                        u64::from(height) * u64::from(stored_width) / u64::from(stored_height);
                    (u32::try_from(fitted).unwrap_or(u32::MAX), height)
                }
            }
        };
        (width.clamp(1, MAX_SIDE), height.clamp(1, MAX_SIDE))
    }
}

/// The largest side drawn: a request for more gets this (no service hands out larger).
const MAX_SIDE: u32 = 4096;

/// The PNG of photo `id` at `size`: a gradient from the photo's own colour, so that photos
/// differ and the same rendition is always the same bytes.
pub fn png(id: &str, size: Size) -> Vec<u8> {
    let (width, height) = size.pixels();
    let [red, green, blue] = colour(id);
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        // Darker towards the bottom, by up to half.
        let shade = |channel: u8| {
            let dimmed = u32::from(channel) * (2 * height - y) / (2 * height);
            u8::try_from(dimmed).unwrap_or(u8::MAX)
        };
        let row = [shade(red), shade(green), shade(blue)];
        for _ in 0..width {
            pixels.extend_from_slice(&row);
        }
    }
    let mut encoded = Vec::new();
    let mut encoder = png::Encoder::new(&mut encoded, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .expect("a PNG header writes to memory");
    writer
        .write_image_data(&pixels)
        .expect("pixels of the header's size write to memory");
    writer.finish().expect("a PNG ends in memory");
    encoded
}

/// A colour of `id`'s own (FNV-1a of its bytes), never too dark to see.
fn colour(id: &str) -> [u8; 3] {
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let [red, green, blue, ..] = hash.to_le_bytes();
    [red | 0x40, green | 0x40, blue | 0x40]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(png: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
        let frame = reader.next_frame(&mut pixels).expect("PNG image data");
        pixels.truncate(frame.buffer_size());
        (frame.width, frame.height, pixels)
    }

    #[test]
    fn each_size_decodes_at_its_pixels() {
        for (size, pixels) in [
            (Size::Stored, STORED),
            (Size::Within(512, 512), (512, 384)),
            (Size::Within(176, 176), (176, 132)),
            (Size::Within(800, 800), (800, 600)),
            (Size::Within(100, 30), (40, 30)),
            (Size::Exactly(48, 48), (48, 48)),
            (Size::Within(0, 0), (1, 1)),
        ] {
            let (width, height, _) = decoded(&png("p1", size));
            assert_eq!((width, height), pixels, "{size:?}");
        }
    }

    #[test]
    fn photos_differ_and_a_rendition_is_always_the_same_bytes() {
        let (_, _, first) = decoded(&png("p1", Size::Within(64, 64)));
        let (_, _, second) = decoded(&png("p2", Size::Within(64, 64)));
        assert_ne!(first[..3], second[..3]);
        assert_eq!(png("p1", Size::Stored), png("p1", Size::Stored));
    }
}
