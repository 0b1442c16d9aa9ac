//! Loose one-shot recordings (OGG or WAV: Salamander's piano notes, LMMS's instrument
//! samples) as sampler instruments: every file is one zone, playing the keys nearer its
//! root than any other file of the same voice, as recorded (no loop). A file's root is read
//! from its name where it carries a note name (`C#4v10.ogg`), else the catalogue gives it.

use std::path::{Path, PathBuf};

use timbrescope_engine::input::audio_file::read_mono;

use super::SampleSet;
use super::sf2_writer::{Envelope, PERCUSSION_BANK, PresetSpec, Zone, sample_set};
use crate::score::Voice;

/// One recording, the voice it plays and its pitch.
#[derive(Debug, Clone, PartialEq)]
pub struct OneShot {
    /// The OGG or WAV file.
    pub path: PathBuf,
    /// The General MIDI voice it stands for.
    pub voice: Voice,
    /// The key it sounds at and the cents it lies above it (ignored for percussion).
    pub root: (u8, i16),
}

/// Why one-shots could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum OneShotError {
    /// The file cannot be decoded.
    #[error("{0}")]
    Decode(String),
    /// The SoundFont built from the files does not load.
    #[error("{set}: the SoundFont built from its one-shots does not load: {reason}")]
    Build {
        /// The set.
        set: String,
        /// rustysynth's reason.
        reason: String,
    },
}

/// The MIDI key of a note name at the start of a file name, as in `A0v10`, `C#4`, `Db3`
/// (sharps and flats, octave −1 to 9; C4 = 60).
pub fn key_from_name(path: &Path) -> Option<u8> {
    let stem = path.file_stem()?.to_str()?;
    let mut chars = stem.chars().peekable();
    let letter = chars.next()?.to_ascii_uppercase();
    let mut semitone: i32 = match letter {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        'B' => 11,
        _ => return None,
    };
    match chars.peek() {
        Some('#' | 's') => {
            semitone += 1;
            chars.next();
        }
        Some('b') => {
            semitone -= 1;
            chars.next();
        }
        _ => {}
    }
    let negative = chars.peek() == Some(&'-');
    if negative {
        chars.next();
    }
    let octave = i32::try_from(chars.next()?.to_digit(10)?).ok()?;
    if chars.peek().is_some_and(char::is_ascii_digit) {
        return None;
    }
    let octave = if negative { -octave } else { octave };
    u8::try_from((octave + 1) * 12 + semitone)
        .ok()
        .filter(|k| *k < 128)
}

fn zone_from(shot: &OneShot) -> Result<Zone, OneShotError> {
    let audio = read_mono(&shot.path).map_err(|e| OneShotError::Decode(e.to_string()))?;
    let (root_key, cents) = shot.root;
    let peak = audio
        .samples
        .iter()
        .fold(0.0f32, |m, s| m.max(s.abs()))
        .max(1e-6);
    // Every shot is brought to the same peak, so one file recorded quietly is not a quiet
    // instrument.
    let gain = 0.7 / peak;
    Ok(Zone {
        samples: audio
            .samples
            .iter()
            .map(|s| (s * gain * f32::from(i16::MAX)) as i16)
            .collect(),
        rate: audio.sample_rate,
        root_key,
        fine_tune_cents: -cents,
        keys: (root_key, root_key),
        velocities: (0, 127),
        sustain_loop: None,
        envelope: Envelope::AS_RECORDED,
        attenuation_db: 0.0,
        pan: 0.0,
    })
}

/// Gives each zone (sorted by root) the keys nearer its root than its neighbours', the
/// lowest reaching down to key 0 and the highest up to 127, so every key plays exactly one.
/// Of several zones with one root only the first is kept.
pub fn split_keyboard(zones: &mut Vec<Zone>) {
    zones.sort_by_key(|z| z.root_key);
    zones.dedup_by_key(|z| z.root_key);
    let roots: Vec<u8> = zones.iter().map(|z| z.root_key).collect();
    for (i, zone) in zones.iter_mut().enumerate() {
        let low = if i == 0 {
            0
        } else {
            (u16::from(roots[i - 1]) + u16::from(roots[i])) / 2 + 1
        };
        let high = match roots.get(i + 1) {
            Some(next) => (u16::from(roots[i]) + u16::from(*next)) / 2,
            None => 127,
        };
        zone.keys = (low.min(127) as u8, high.min(127) as u8);
    }
}

/// Loads `shots` as one sample set named `name`: a preset per voice (bank 0 at its
/// programme; percussion as a kit at bank 128) whose keys are split among its files.
pub fn load_one_shots(name: &str, shots: &[OneShot]) -> Result<SampleSet, OneShotError> {
    let mut voices: Vec<Voice> = shots.iter().map(|s| s.voice).collect();
    voices.sort();
    voices.dedup();
    let mut presets = Vec::new();
    for voice in voices {
        let mut zones = shots
            .iter()
            .filter(|s| s.voice == voice)
            .map(zone_from)
            .collect::<Result<Vec<_>, _>>()?;
        let (bank, program) = match voice {
            Voice::Program(program) => {
                split_keyboard(&mut zones);
                (0, u16::from(program))
            }
            Voice::Percussion => (PERCUSSION_BANK, 0),
        };
        presets.push(PresetSpec {
            name: format!("{name} {voice:?}"),
            bank,
            program,
            zones,
        });
    }
    sample_set(name, &presets).map_err(|reason| OneShotError::Build {
        set: name.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_names_in_file_names_give_their_keys() {
        for (name, key) in [
            ("A0v10.ogg", Some(21)),
            ("C4v10.ogg", Some(60)),
            ("D#1v10.ogg", Some(27)),
            ("F#7v10.ogg", Some(102)),
            ("C8v10.ogg", Some(108)),
            ("Bb3.wav", Some(58)),
            ("cello01.ogg", None),
            ("piano02.ogg", None),
            ("A10.ogg", None),
        ] {
            assert_eq!(key_from_name(Path::new(name)), key, "{name}");
        }
    }

    #[test]
    fn split_keys_cover_the_keyboard_once() {
        let zone = |root| Zone {
            samples: vec![0; 10],
            rate: 44_100,
            root_key: root,
            fine_tune_cents: 0,
            keys: (root, root),
            velocities: (0, 127),
            sustain_loop: None,
            envelope: Envelope::AS_RECORDED,
            attenuation_db: 0.0,
            pan: 0.0,
        };
        let mut zones = vec![zone(60), zone(21), zone(24)];
        split_keyboard(&mut zones);
        let keys: Vec<_> = zones.iter().map(|z| z.keys).collect();
        assert_eq!(keys, [(0, 22), (23, 42), (43, 127)]);
    }
}
