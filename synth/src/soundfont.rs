//! The SoundFonts Timbrescope renders with, and loading them with a clear error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustysynth::SoundFont;

use crate::score::Voice;

/// The bank a SoundFont keeps its drum kits in.
const PERCUSSION_BANK: i32 = 128;

/// The training font (Debian `fluid-soundfont-gm`), named by full path because Debian's
/// `default-GM.sf2` link may point at another font.
pub const TRAINING_FONT: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
/// The validation font (Debian `timgm6mb-soundfont`): other samples, never trained on.
pub const VALIDATION_FONT: &str = "/usr/share/sounds/sf2/TimGM6mb.sf2";

/// Why a SoundFont could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SoundFontError {
    /// The file does not exist or cannot be read.
    #[error("{path}: cannot open SoundFont ({source}){hint}")]
    Open {
        /// The font file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
        /// Which Debian package provides it, when known.
        hint: String,
    },
    /// The file is not a valid SoundFont 2.
    #[error("{path}: not a valid SoundFont: {reason}")]
    Invalid {
        /// The font file.
        path: PathBuf,
        /// The parser's reason.
        reason: String,
    },
}

fn package_hint(path: &Path) -> String {
    let package = match path.to_str() {
        Some(TRAINING_FONT) => "fluid-soundfont-gm",
        Some(VALIDATION_FONT) => "timgm6mb-soundfont",
        _ => return String::new(),
    };
    format!("; install it with `apt-get install {package}`")
}

/// Reads a SoundFont 2 file.
pub fn load_soundfont(path: &Path) -> Result<Arc<SoundFont>, SoundFontError> {
    let open_error = |source| SoundFontError::Open {
        path: path.to_owned(),
        hint: package_hint(path),
        source,
    };
    let mut file = std::io::BufReader::new(std::fs::File::open(path).map_err(open_error)?);
    SoundFont::new(&mut file)
        .map(Arc::new)
        .map_err(|e| SoundFontError::Invalid {
            path: path.to_owned(),
            reason: format!("{e:?}"),
        })
}

/// The variations `font` holds of `voice` besides its General MIDI sound, as
/// [`Part::variation`](crate::score::Part::variation) values in ascending order: the other
/// banks holding a preset of the programme, or the kits other than the standard one.
pub fn variations(font: &SoundFont, voice: Voice) -> Vec<u8> {
    let mut found: Vec<u8> = font
        .get_presets()
        .iter()
        .filter_map(|preset| {
            let (bank, patch) = (preset.get_bank_number(), preset.get_patch_number());
            let variation = match voice {
                Voice::Program(program) if patch == i32::from(program) => bank,
                Voice::Percussion if bank == PERCUSSION_BANK => patch,
                _ => return None,
            };
            u8::try_from(variation)
                .ok()
                .filter(|v| (1..128).contains(v))
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}
