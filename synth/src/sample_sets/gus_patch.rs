//! Gravis UltraSound patches (`.pat`, the freepats set): each holds one instrument's
//! samples with their key ranges (as frequencies), root frequency, loop and a six-stage
//! envelope. They are read into [`Zone`]s for the in-memory SoundFont, and a folder of them
//! laid out as freepats is (`Tone_000/NNN_Name.pat` for programme NNN,
//! `Drum_000/KKK_Name.pat` for drum key KKK) becomes one General MIDI sample set.

use std::path::{Path, PathBuf};

use super::one_shots::split_keyboard;
use super::sf2_writer::{Envelope, PERCUSSION_BANK, PresetSpec, Zone, sample_set};
use super::{SampleSet, denylist};

/// Why a patch could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// The file cannot be read.
    #[error("{path}: cannot read GUS patch ({source})")]
    Open {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The file is not a GUS patch, or is cut short.
    #[error("{path}: not a valid GUS patch: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The folder holds no patches in freepats' layout.
    #[error(
        "{path}: no GUS patches in Tone_000/ or Drum_000/; install them with `apt-get install freepats`"
    )]
    Empty {
        /// The folder.
        path: PathBuf,
    },
}

const HEADER_BYTES: usize = 129;
const INSTRUMENT_BYTES: usize = 63;
const LAYER_BYTES: usize = 47;
const SAMPLE_HEADER_BYTES: usize = 96;

/// Sample mode bits.
const MODE_16_BIT: u8 = 1;
const MODE_UNSIGNED: u8 = 2;
const MODE_LOOPING: u8 = 4;
const MODE_PING_PONG: u8 = 8;
const MODE_REVERSE: u8 = 16;
const MODE_SUSTAIN: u8 = 32;

/// Seconds a GUS envelope stage takes to cross its whole range (255 steps) at rate 1; the
/// range bits of a rate byte speed it up by 8 per step (after TiMidity's conversion).
const ENVELOPE_FULL_RANGE_SECONDS: f64 = 47.4;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("cut short at byte {} (wanted {n} more)", self.at))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// The MIDI key (and cents above it) nearest to `millihertz`.
fn key_of(millihertz: u32) -> (f64, i16) {
    let hz = f64::from(millihertz.max(1)) / 1000.0;
    let key = 69.0 + 12.0 * (hz / 440.0).log2();
    let rounded = key.round();
    (rounded, ((key - rounded) * 100.0).round() as i16)
}

fn key_u8(key: f64) -> u8 {
    key.clamp(0.0, 127.0) as u8
}

/// Seconds a stage of rate byte `rate` takes to move the envelope by `steps` of 255.
fn stage_seconds(rate: u8, steps: f64) -> f64 {
    let shift = 3 * (3 - u32::from(rate >> 6));
    let increment = f64::from(u32::from(rate & 0x3f) << shift);
    if increment == 0.0 {
        return 0.0;
    }
    ENVELOPE_FULL_RANGE_SECONDS / increment * steps.abs() / 255.0
}

/// The SoundFont envelope nearest to a GUS six-stage one: stages 0–2 rise and fall to the
/// sustain level (stage 2's offset), stages 3–5 release; without the sustain mode the note
/// decays through every stage while held.
fn envelope(rates: [u8; 6], offsets: [u8; 6], modes: u8) -> Envelope {
    let level = |i: usize| f64::from(offsets[i]);
    let attack = stage_seconds(rates[0], level(0));
    let decay_to_sustain =
        stage_seconds(rates[1], level(0) - level(1)) + stage_seconds(rates[2], level(1) - level(2));
    let release = (3..6)
        .map(|i| stage_seconds(rates[i], level(i - 1) - level(i)))
        .sum::<f64>()
        .max(0.02);
    let full = level(0).max(1.0);
    if modes & MODE_SUSTAIN != 0 {
        let sustain = (level(2) / full).max(1e-4);
        Envelope {
            attack,
            hold: 0.0,
            decay: decay_to_sustain,
            sustain_db: -20.0 * sustain.log10(),
            release,
        }
    } else {
        Envelope {
            attack,
            hold: 0.0,
            decay: decay_to_sustain + release,
            sustain_db: 144.0,
            release,
        }
    }
}

/// 16-bit signed samples from a patch's raw wave data.
fn pcm(data: &[u8], modes: u8) -> Vec<i16> {
    let unsigned = modes & MODE_UNSIGNED != 0;
    if modes & MODE_16_BIT != 0 {
        data.chunks_exact(2)
            .map(|b| {
                let v = u16::from_le_bytes([b[0], b[1]]);
                if unsigned {
                    (v ^ 0x8000) as i16
                } else {
                    v as i16
                }
            })
            .collect()
    } else {
        data.iter()
            .map(|&b| {
                let v = if unsigned { b ^ 0x80 } else { b } as i8;
                i16::from(v) << 8
            })
            .collect()
    }
}

/// Reads every sample of a patch as a zone; `fixed_key` (drum patches) plays the samples at
/// their own pitch on that key alone.
pub fn read_patch(path: &Path, fixed_key: Option<u8>) -> Result<Vec<Zone>, PatchError> {
    let bytes = std::fs::read(path).map_err(|source| PatchError::Open {
        path: path.to_owned(),
        source,
    })?;
    parse_patch(&bytes, fixed_key).map_err(|reason| PatchError::Invalid {
        path: path.to_owned(),
        reason,
    })
}

fn parse_patch(bytes: &[u8], fixed_key: Option<u8>) -> Result<Vec<Zone>, String> {
    if !bytes.starts_with(b"GF1PATCH1") {
        return Err("no GF1PATCH signature".into());
    }
    let mut reader = Reader { bytes, at: 0 };
    reader.take(HEADER_BYTES)?;
    reader.take(INSTRUMENT_BYTES)?;
    let layer = reader.take(LAYER_BYTES)?;
    let sample_count = layer[6];
    let mut zones = Vec::with_capacity(usize::from(sample_count));
    for _ in 0..sample_count {
        let start = reader.at;
        reader.take(8)?; // wave name, loop fractions
        let length = reader.u32()? as usize;
        let loop_start = reader.u32()? as usize;
        let loop_end = reader.u32()? as usize;
        let rate = u32::from(reader.u16()?);
        let low = reader.u32()?;
        let high = reader.u32()?;
        let root = reader.u32()?;
        reader.take(2)?; // tune
        let balance = reader.u8()?;
        let rates: [u8; 6] = reader.take(6)?.try_into().expect("six bytes");
        let offsets: [u8; 6] = reader.take(6)?.try_into().expect("six bytes");
        reader.take(6)?; // tremolo, vibrato
        let modes = reader.u8()?;
        reader.at = start + SAMPLE_HEADER_BYTES;
        let data = reader.take(length)?;
        if rate == 0 {
            return Err("a sample with rate 0".into());
        }
        let width = if modes & MODE_16_BIT != 0 { 2 } else { 1 };
        let mut samples = pcm(data, modes);
        if modes & MODE_REVERSE != 0 {
            samples.reverse();
        }
        let (loop_start, loop_end) = (loop_start / width, (loop_end / width).min(samples.len()));
        let sustain_loop = (modes & MODE_LOOPING != 0 && loop_start + 1 < loop_end).then(|| {
            if modes & MODE_PING_PONG != 0 {
                // SoundFont loops forward only: unroll the backward half after the loop.
                let back: Vec<i16> = samples[loop_start + 1..loop_end - 1]
                    .iter()
                    .rev()
                    .copied()
                    .collect();
                let tail = samples.split_off(loop_end);
                samples.extend_from_slice(&back);
                let end = samples.len();
                samples.extend(tail);
                (loop_start, end)
            } else {
                (loop_start, loop_end)
            }
        });
        let (root_key, cents) = key_of(root);
        let (keys, root_key, fine_tune_cents) = match fixed_key {
            Some(key) => ((key, key), i32::from(key), 0),
            None => (
                (key_u8(key_of(low).0), key_u8(key_of(high).0)),
                root_key as i32,
                -cents,
            ),
        };
        zones.push(Zone {
            samples,
            rate,
            root_key: root_key.clamp(0, 127) as u8,
            fine_tune_cents,
            keys,
            velocities: (0, 127),
            sustain_loop,
            envelope: envelope(rates, offsets, modes),
            attenuation_db: 0.0,
            pan: (f64::from(balance.min(15)) - 7.5) / 7.5,
        });
    }
    if zones.is_empty() {
        return Err("no samples".into());
    }
    Ok(zones)
}

/// The number a freepats file name starts with (`040_Violin.pat` → 40).
fn leading_number(path: &Path) -> Option<u8> {
    let name = path.file_name()?.to_str()?;
    name.split('_').next()?.parse().ok().filter(|n| *n < 128)
}

fn patches_in(folder: &Path) -> Vec<(u8, PathBuf)> {
    let skipped = denylist::denied_patch_files();
    let mut found: Vec<(u8, PathBuf)> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pat")))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            !skipped.iter().any(|s| s == name)
        })
        .filter_map(|p| Some((leading_number(&p)?, p)))
        .collect();
    found.sort();
    found
}

/// Loads a freepats-style folder as one sample set: a preset per melodic patch at its
/// programme, and one drum kit (bank 128, programme 0) from the drum patches. The
/// deny-list's patches are skipped.
pub fn load_patch_folder(name: &str, folder: &Path) -> Result<SampleSet, PatchError> {
    let mut presets = Vec::new();
    for (program, path) in patches_in(&folder.join("Tone_000")) {
        let mut zones = read_patch(&path, None)?;
        // Patch ranges may overlap, and SoundFont would layer overlapping zones.
        split_keyboard(&mut zones);
        presets.push(PresetSpec {
            name: path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            bank: 0,
            program: u16::from(program),
            zones,
        });
    }
    let mut kit = Vec::new();
    for (key, path) in patches_in(&folder.join("Drum_000")) {
        // A drum patch's samples cover its note's frequency range; one is its sound.
        kit.extend(read_patch(&path, Some(key))?.into_iter().take(1));
    }
    if !kit.is_empty() {
        presets.push(PresetSpec {
            name: "Drum kit".into(),
            bank: PERCUSSION_BANK,
            program: 0,
            zones: kit,
        });
    }
    if presets.is_empty() {
        return Err(PatchError::Empty {
            path: folder.to_owned(),
        });
    }
    sample_set(name, &presets).map_err(|reason| PatchError::Invalid {
        path: folder.to_owned(),
        reason: format!("the SoundFont built from it does not load: {reason}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_rates_follow_their_range_bits() {
        // Range 3 is the slowest: rate 1 crosses the whole range in ~47 s; range 0 is 512×
        // faster.
        assert!((stage_seconds(0xC1, 255.0) - ENVELOPE_FULL_RANGE_SECONDS).abs() < 1e-9);
        assert!((stage_seconds(0x01, 255.0) * 512.0 - ENVELOPE_FULL_RANGE_SECONDS).abs() < 1e-9);
        assert_eq!(stage_seconds(0x00, 255.0), 0.0);
    }

    #[test]
    fn a_truncated_patch_is_refused_with_its_byte_offset() {
        let mut bytes = b"GF1PATCH110\0ID#000002\0".to_vec();
        bytes.resize(HEADER_BYTES + 10, 0);
        let error = parse_patch(&bytes, None).unwrap_err();
        assert!(error.contains("cut short"), "{error}");
        assert!(
            parse_patch(b"RIFF....", None)
                .unwrap_err()
                .contains("signature")
        );
    }
}
