//! SoundFont 2 files as sample sets: loading them with a clear error and their deny-list.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustysynth::SoundFont;

use super::{SampleSet, denylist};

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
    let install = match path.to_str() {
        Some(VALIDATION_FONT) => "apt-get install timgm6mb-soundfont",
        _ => match super::catalogue::install_hint(path) {
            Some(install) => install,
            None => return String::new(),
        },
    };
    format!("; install it with `{install}`")
}

/// Reads a SoundFont 2 file as a General MIDI sample set named after its file, with the
/// deny-list's presets for it refused.
pub fn load_soundfont(path: &Path) -> Result<SampleSet, SoundFontError> {
    let name = path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    Ok(SampleSet::general_midi(
        &name,
        read_soundfont(path)?,
        denylist::denied_presets(path),
    ))
}

/// Reads a SoundFont 2 file.
pub fn read_soundfont(path: &Path) -> Result<Arc<SoundFont>, SoundFontError> {
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
