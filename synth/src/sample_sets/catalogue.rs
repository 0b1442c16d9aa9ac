//! Every sample set training may draw on, by name: where it is installed, what format it is
//! in and which package provides it (`../shared/TIMBRE_SOURCES.md`, "Allowed for
//! training"). A source not listed here cannot be named in a config, so nothing unvetted
//! reaches training; the evaluation fonts are absent on purpose.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::SampleSet;
use super::gus_patch::load_patch_folder;
use super::one_shots::{OneShot, key_from_name, load_one_shots};
use super::sf2_file::{SoundFontError, load_soundfont};
use crate::score::Voice;

/// How a source is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An SF2 file laid out as General MIDI (kits at bank 128).
    GeneralMidiFont,
    /// A gzip-compressed SF2 file holding one preset, which plays this voice.
    GzipSinglePreset(Voice),
    /// An SF2 file holding one preset, which plays this voice.
    SinglePreset(Voice),
    /// A freepats-style folder of GUS patches.
    PatchFolder,
    /// Loose one-shot recordings in a folder.
    OneShots(&'static [ShotFile]),
    /// A folder of one-shot recordings of one voice, each named by its note (`C#4v10.ogg`).
    NoteFolder(Voice),
}

/// One permitted source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The name configs and sidecars use.
    pub name: &'static str,
    /// Where it is installed; a relative path is under [`sources_folder`].
    pub path: &'static str,
    /// How it is stored.
    pub format: Format,
    /// How to install it.
    pub install: &'static str,
}

/// One loose recording of a [`Format::OneShots`] source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShotFile {
    /// Its file name in the source's folder.
    pub file: &'static str,
    /// The voice it plays.
    pub voice: Voice,
    /// The key it sounds at, and the cents above it.
    pub root: (u8, i16),
}

/// LMMS's instrument samples that hold one clear note. Roots were read from each file's
/// harmonic series (a spectrum of its loudest 0.4 s) and agree with YIN; the chords
/// (`e_organ01`, `e_piano_accord*`), the double stop, the organs whose stops sound several
/// octaves at once, the steel guitars (no clear fundamental) and `harpsichord01` (a WAV format
/// symphonia cannot read) are left out.
const LMMS_INSTRUMENTS: &[ShotFile] = &[
    ShotFile {
        file: "bassslap01.ogg",
        voice: Voice::Program(36),
        root: (38, 0),
    },
    ShotFile {
        file: "bassslap02.ogg",
        voice: Voice::Program(36),
        root: (36, 0),
    },
    ShotFile {
        file: "cello01.ogg",
        voice: Voice::Program(42),
        root: (38, -18),
    },
    ShotFile {
        file: "flute01.ogg",
        voice: Voice::Program(73),
        root: (81, -3),
    },
    ShotFile {
        file: "piano01.ogg",
        voice: Voice::Program(0),
        root: (60, 7),
    },
    ShotFile {
        file: "piano02.ogg",
        voice: Voice::Program(0),
        root: (48, 0),
    },
    ShotFile {
        file: "trumpet01.ogg",
        voice: Voice::Program(56),
        root: (69, -6),
    },
    ShotFile {
        file: "violin_fingered01.ogg",
        voice: Voice::Program(40),
        root: (67, -14),
    },
    ShotFile {
        file: "violin_pizzicato01.ogg",
        voice: Voice::Program(45),
        root: (67, 0),
    },
];

/// The permitted sources.
pub const SOURCES: &[Source] = &[
    Source {
        name: "fluidr3",
        path: "/usr/share/sounds/sf2/FluidR3_GM.sf2",
        format: Format::GeneralMidiFont,
        install: "apt-get install fluid-soundfont-gm",
    },
    Source {
        name: "generaluser",
        path: "/usr/share/minuet/soundfonts/GeneralUser-v1.47.sf2",
        format: Format::GeneralMidiFont,
        install: "apt-get install minuet-data",
    },
    Source {
        name: "freepats",
        path: "/usr/share/midi/freepats",
        format: Format::PatchFolder,
        install: "apt-get install freepats",
    },
    Source {
        name: "opl3",
        path: "/usr/share/sounds/sf2/OPL-3_FM_128M.sf2",
        format: Format::GeneralMidiFont,
        install: "apt-get install opl3-soundfont",
    },
    Source {
        name: "avl-black-pearl",
        path: "/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2",
        format: Format::SinglePreset(Voice::Percussion),
        install: "apt-get install avldrums.lv2-soundfont",
    },
    Source {
        name: "avl-red-zeppelin",
        path: "/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2",
        format: Format::SinglePreset(Voice::Percussion),
        install: "apt-get install avldrums.lv2-soundfont",
    },
    Source {
        name: "csound-guitar",
        path: "/usr/share/doc/csound-doc/html/examples/07AcousticGuitar.sf2.gz",
        format: Format::GzipSinglePreset(Voice::Program(25)),
        install: "apt-get install csound-doc",
    },
    Source {
        name: "csound-trumpet",
        path: "/usr/share/doc/csound-doc/html/examples/19Trumpet.sf2.gz",
        format: Format::GzipSinglePreset(Voice::Program(56)),
        install: "apt-get install csound-doc",
    },
    Source {
        name: "lmms",
        path: "/usr/share/lmms/samples/instruments",
        format: Format::OneShots(LMMS_INSTRUMENTS),
        install: "apt-get install lmms-common",
    },
    Source {
        name: "salamander",
        path: "salamander-velocity10/audio",
        format: Format::NoteFolder(Voice::Program(0)),
        install: "bash tools/timbre-sources/install.sh",
    },
];

/// Why a source could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// No permitted source has this name.
    #[error("unknown timbre source `{0}` (permitted: {names})", names = SOURCES.iter().map(|s| s.name).collect::<Vec<_>>().join(", "))]
    Unknown(String),
    /// The source is not installed.
    #[error("timbre source `{name}`: {path} not found; install it with `{install}`")]
    NotInstalled {
        /// The source.
        name: String,
        /// Where it was looked for.
        path: PathBuf,
        /// How to install it.
        install: String,
    },
    /// Its files are damaged or not what the catalogue says.
    #[error("timbre source `{name}`: {reason}")]
    Invalid {
        /// The source.
        name: String,
        /// What went wrong.
        reason: String,
    },
}

/// Where sources that come from the npm registry are unpacked: `$TIMBRESCOPE_SOURCES`, or
/// `~/.cache/timbrescope/sources`.
pub fn sources_folder() -> PathBuf {
    if let Some(dir) = std::env::var_os("TIMBRESCOPE_SOURCES") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache/timbrescope/sources")
}

impl Source {
    /// The permitted source called `name`.
    pub fn named(name: &str) -> Result<&'static Source, SourceError> {
        SOURCES
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| SourceError::Unknown(name.to_owned()))
    }

    /// Where it is installed.
    pub fn location(&self) -> PathBuf {
        let path = Path::new(self.path);
        if path.is_absolute() {
            path.to_owned()
        } else {
            sources_folder().join(path)
        }
    }

    /// Loads it as a sample set named after the source.
    pub fn load(&self) -> Result<SampleSet, SourceError> {
        let location = self.location();
        if !location.exists() {
            return Err(SourceError::NotInstalled {
                name: self.name.to_owned(),
                path: location,
                install: self.install.to_owned(),
            });
        }
        let invalid = |reason: String| SourceError::Invalid {
            name: self.name.to_owned(),
            reason,
        };
        let set = match self.format {
            Format::GeneralMidiFont => load_soundfont(&location)
                .map_err(|e: SoundFontError| invalid(e.to_string()))?
                .renamed(self.name),
            Format::SinglePreset(voice) => {
                let font = super::sf2_file::read_soundfont(&location)
                    .map_err(|e| invalid(e.to_string()))?;
                SampleSet::single_preset(self.name, font, voice)
                    .ok_or_else(|| invalid("the font holds no preset".into()))?
            }
            Format::GzipSinglePreset(voice) => {
                let file = std::fs::File::open(&location).map_err(|e| invalid(e.to_string()))?;
                let mut decoder = flate2::read::GzDecoder::new(std::io::BufReader::new(file));
                let font = rustysynth::SoundFont::new(&mut decoder)
                    .map_err(|e| invalid(format!("{}: {e:?}", location.display())))?;
                SampleSet::single_preset(self.name, Arc::new(font), voice)
                    .ok_or_else(|| invalid("the font holds no preset".into()))?
            }
            Format::PatchFolder => {
                load_patch_folder(self.name, &location).map_err(|e| invalid(e.to_string()))?
            }
            Format::OneShots(files) => {
                let shots: Vec<OneShot> = files
                    .iter()
                    .map(|shot| OneShot {
                        path: location.join(shot.file),
                        voice: shot.voice,
                        root: shot.root,
                    })
                    .collect();
                load_one_shots(self.name, &shots).map_err(|e| invalid(e.to_string()))?
            }
            Format::NoteFolder(voice) => {
                let shots = named_notes(&location, voice).map_err(|e| invalid(e.to_string()))?;
                load_one_shots(self.name, &shots).map_err(|e| invalid(e.to_string()))?
            }
        };
        Ok(set)
    }
}

/// The audio files of `folder` whose names carry a note name, as one-shots of `voice`.
fn named_notes(folder: &Path, voice: Voice) -> std::io::Result<Vec<OneShot>> {
    let mut shots: Vec<OneShot> = std::fs::read_dir(folder)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("ogg") || e.eq_ignore_ascii_case("wav"))
        })
        .filter_map(|path| {
            let root = (key_from_name(&path)?, 0);
            Some(OneShot { path, voice, root })
        })
        .collect();
    shots.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(shots)
}

/// The installation hint for a font file the catalogue knows, for load errors.
pub fn install_hint(path: &Path) -> Option<&'static str> {
    SOURCES
        .iter()
        .find(|s| Path::new(s.path) == path)
        .map(|s| s.install)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_missing_sources_are_refused_by_name() {
        let error = Source::named("musescore").unwrap_err().to_string();
        assert!(
            error.contains("musescore") && error.contains("freepats"),
            "{error}"
        );
        let absent = Source {
            name: "absent",
            path: "/nonexistent/font.sf2",
            format: Format::GeneralMidiFont,
            install: "apt-get install nothing",
        };
        let error = absent.load().unwrap_err().to_string();
        assert!(
            error.contains("/nonexistent/font.sf2") && error.contains("apt-get"),
            "{error}"
        );
    }

    #[test]
    fn no_evaluation_font_is_in_the_catalogue() {
        for source in SOURCES {
            let path = source.path.to_ascii_lowercase();
            for banned in ["timgm", "musescore", "sf_gmbank", "a320u", "merlin"] {
                assert!(!path.contains(banned), "{} is {banned}", source.name);
            }
        }
    }
}
