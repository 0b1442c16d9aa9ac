//! Sample sets that are not SoundFonts (GUS patches, loose one-shots) become SoundFont 2
//! files in memory, so rustysynth plays them with the same voices, envelopes, loops and
//! effects as every other source, and one renderer serves them all.

use std::io::Write;

/// The bank General MIDI drum kits sit in.
pub const PERCUSSION_BANK: u16 = 128;

/// SoundFont generator numbers used here (SoundFont 2.04, section 8.1.2).
mod generator {
    pub const PAN: u16 = 17;
    pub const ATTACK_VOL_ENV: u16 = 34;
    pub const HOLD_VOL_ENV: u16 = 35;
    pub const DECAY_VOL_ENV: u16 = 36;
    pub const SUSTAIN_VOL_ENV: u16 = 37;
    pub const RELEASE_VOL_ENV: u16 = 38;
    pub const INSTRUMENT: u16 = 41;
    pub const KEY_RANGE: u16 = 43;
    pub const VEL_RANGE: u16 = 44;
    pub const INITIAL_ATTENUATION: u16 = 48;
    pub const FINE_TUNE: u16 = 52;
    pub const SAMPLE_ID: u16 = 53;
    pub const SAMPLE_MODES: u16 = 54;
    pub const OVERRIDING_ROOT_KEY: u16 = 58;
}

/// Zero samples the format asks for after every sample, so interpolation never reads past it.
const SAMPLE_PADDING: usize = 46;

/// A volume envelope in seconds and decibels (SoundFont's DAHDSR without the delay).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Envelope {
    /// Rise from silence to full level.
    pub attack: f64,
    /// Time held at full level.
    pub hold: f64,
    /// Fall from full level to the sustain level.
    pub decay: f64,
    /// Level held while the key is down, in dB below full (0: no decay).
    pub sustain_db: f64,
    /// Fall to silence after the key is released.
    pub release: f64,
}

impl Envelope {
    /// A sample played as recorded: instant attack, no decay, a short release so a key
    /// released early does not click.
    pub const AS_RECORDED: Self = Self {
        attack: 0.002,
        hold: 0.0,
        decay: 0.0,
        sustain_db: 0.0,
        release: 0.15,
    };
}

/// One sample and where it plays: the unit every loader produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Mono 16-bit audio.
    pub samples: Vec<i16>,
    /// Its sample rate.
    pub rate: u32,
    /// The key at which it plays at recorded pitch.
    pub root_key: u8,
    /// Correction of the root in cents (a sample slightly sharp gets a negative value).
    pub fine_tune_cents: i16,
    /// Lowest and highest key it plays.
    pub keys: (u8, u8),
    /// Lowest and highest velocity it plays.
    pub velocities: (u8, u8),
    /// Loop start and end in samples (end exclusive), held while the key is down; none: the
    /// sample plays once.
    pub sustain_loop: Option<(usize, usize)>,
    /// Its volume envelope.
    pub envelope: Envelope,
    /// Attenuation in dB.
    pub attenuation_db: f64,
    /// Pan, −1 (left) to 1 (right).
    pub pan: f64,
}

/// One preset to write: its place in the font and its zones.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetSpec {
    /// Preset name (cut to 19 bytes).
    pub name: String,
    /// Bank (128 for drum kits).
    pub bank: u16,
    /// Programme.
    pub program: u16,
    /// Its samples.
    pub zones: Vec<Zone>,
}

/// Seconds as SoundFont timecents, the floor of −12 000 standing for "instant".
fn timecents(seconds: f64) -> i16 {
    if seconds <= 0.001 {
        return -12_000;
    }
    (1200.0 * seconds.log2()).round().clamp(-12_000.0, 8000.0) as i16
}

/// Decibels as centibels, capped at the format's 144 dB.
fn centibels(db: f64) -> i16 {
    (db * 10.0).round().clamp(0.0, 1440.0) as i16
}

fn fixed_name(name: &str) -> [u8; 20] {
    let mut out = [0u8; 20];
    for (slot, byte) in out
        .iter_mut()
        .zip(name.bytes().filter(u8::is_ascii).take(19))
    {
        *slot = byte;
    }
    out
}

/// A RIFF chunk. Bodies are kept even in length (rustysynth does not skip pad bytes).
fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    debug_assert!(body.len().is_multiple_of(2), "odd chunk body");
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(id);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fn list(kind: &[u8; 4], chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut body = kind.to_vec();
    chunks.iter().for_each(|c| body.extend_from_slice(c));
    chunk(b"LIST", &body)
}

fn generator_bytes(out: &mut Vec<u8>, operator: u16, amount: [u8; 2]) {
    out.extend_from_slice(&operator.to_le_bytes());
    out.extend_from_slice(&amount);
}

fn amount(value: i16) -> [u8; 2] {
    value.to_le_bytes()
}

/// The generators of one instrument zone, key and velocity ranges first and the sample last,
/// as the format requires.
fn zone_generators(zone: &Zone, sample_index: u16) -> Vec<u8> {
    use generator::*;
    let mut out = Vec::new();
    generator_bytes(&mut out, KEY_RANGE, [zone.keys.0, zone.keys.1]);
    generator_bytes(&mut out, VEL_RANGE, [zone.velocities.0, zone.velocities.1]);
    let envelope = zone.envelope;
    for (operator, value) in [
        (ATTACK_VOL_ENV, timecents(envelope.attack)),
        (HOLD_VOL_ENV, timecents(envelope.hold)),
        (DECAY_VOL_ENV, timecents(envelope.decay)),
        (SUSTAIN_VOL_ENV, centibels(envelope.sustain_db)),
        (RELEASE_VOL_ENV, timecents(envelope.release)),
        (INITIAL_ATTENUATION, centibels(zone.attenuation_db)),
        (PAN, (zone.pan.clamp(-1.0, 1.0) * 500.0).round() as i16),
        (FINE_TUNE, zone.fine_tune_cents),
        (OVERRIDING_ROOT_KEY, i16::from(zone.root_key)),
        (SAMPLE_MODES, i16::from(zone.sustain_loop.is_some())),
    ] {
        generator_bytes(&mut out, operator, amount(value));
    }
    generator_bytes(&mut out, SAMPLE_ID, sample_index.to_le_bytes());
    out
}

/// Writes `presets` as a SoundFont 2 file named `name`: one instrument per preset.
pub fn write_soundfont(name: &str, presets: &[PresetSpec]) -> Vec<u8> {
    let mut smpl: Vec<u8> = Vec::new();
    let (mut phdr, mut pbag, mut pgen) = (Vec::new(), Vec::new(), Vec::new());
    let (mut inst, mut ibag, mut igen, mut shdr) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut preset_zones, mut instrument_zones, mut sample_count) = (0u16, 0u16, 0u16);
    let mut igen_count = 0u16;
    for (index, preset) in presets.iter().enumerate() {
        phdr.extend_from_slice(&fixed_name(&preset.name));
        phdr.extend_from_slice(&preset.program.to_le_bytes());
        phdr.extend_from_slice(&preset.bank.to_le_bytes());
        phdr.extend_from_slice(&preset_zones.to_le_bytes());
        phdr.extend_from_slice(&[0u8; 12]);
        pbag.extend_from_slice(&preset_zones.to_le_bytes());
        pbag.extend_from_slice(&0u16.to_le_bytes());
        generator_bytes(
            &mut pgen,
            generator::INSTRUMENT,
            (index as u16).to_le_bytes(),
        );
        preset_zones += 1;

        inst.extend_from_slice(&fixed_name(&preset.name));
        inst.extend_from_slice(&instrument_zones.to_le_bytes());
        for zone in &preset.zones {
            ibag.extend_from_slice(&igen_count.to_le_bytes());
            ibag.extend_from_slice(&0u16.to_le_bytes());
            let generators = zone_generators(zone, sample_count);
            igen_count += (generators.len() / 4) as u16;
            igen.extend_from_slice(&generators);
            instrument_zones += 1;

            let start = smpl.len() / 2;
            for s in &zone.samples {
                smpl.extend_from_slice(&s.to_le_bytes());
            }
            smpl.extend(std::iter::repeat_n(0u8, SAMPLE_PADDING * 2));
            let end = start + zone.samples.len();
            let (loop_start, loop_end) = zone
                .sustain_loop
                .map_or((start, end), |(a, b)| (start + a, start + b));
            shdr.extend_from_slice(&fixed_name(&format!("{}{}", preset.name, sample_count)));
            for value in [start, end, loop_start, loop_end] {
                shdr.extend_from_slice(&(value as u32).to_le_bytes());
            }
            shdr.extend_from_slice(&zone.rate.to_le_bytes());
            shdr.push(zone.root_key);
            shdr.push(0);
            shdr.extend_from_slice(&0u16.to_le_bytes());
            shdr.extend_from_slice(&1u16.to_le_bytes());
            sample_count += 1;
        }
    }
    // Terminal records.
    phdr.extend_from_slice(&fixed_name("EOP"));
    phdr.extend_from_slice(&[0u8; 4]);
    phdr.extend_from_slice(&preset_zones.to_le_bytes());
    phdr.extend_from_slice(&[0u8; 12]);
    pbag.extend_from_slice(&preset_zones.to_le_bytes());
    pbag.extend_from_slice(&0u16.to_le_bytes());
    generator_bytes(&mut pgen, 0, [0, 0]);
    inst.extend_from_slice(&fixed_name("EOI"));
    inst.extend_from_slice(&instrument_zones.to_le_bytes());
    ibag.extend_from_slice(&igen_count.to_le_bytes());
    ibag.extend_from_slice(&0u16.to_le_bytes());
    generator_bytes(&mut igen, 0, [0, 0]);
    shdr.extend_from_slice(&fixed_name("EOS"));
    shdr.extend_from_slice(&[0u8; 26]);

    let mut name_z: Vec<u8> = name.bytes().filter(u8::is_ascii).take(255).collect();
    name_z.push(0);
    if !name_z.len().is_multiple_of(2) {
        name_z.push(0);
    }
    let info = list(
        b"INFO",
        &[
            chunk(b"ifil", &[2, 0, 4, 0]),
            chunk(b"isng", b"EMU8000\0"),
            chunk(b"INAM", &name_z),
        ],
    );
    let sdta = list(b"sdta", &[chunk(b"smpl", &smpl)]);
    let pdta = list(
        b"pdta",
        &[
            chunk(b"phdr", &phdr),
            chunk(b"pbag", &pbag),
            chunk(b"pmod", &[0u8; 10]),
            chunk(b"pgen", &pgen),
            chunk(b"inst", &inst),
            chunk(b"ibag", &ibag),
            chunk(b"imod", &[0u8; 10]),
            chunk(b"igen", &igen),
            chunk(b"shdr", &shdr),
        ],
    );
    let mut body = b"sfbk".to_vec();
    for part in [info, sdta, pdta] {
        body.write_all(&part).expect("writing to memory");
    }
    chunk(b"RIFF", &body)
}

/// `presets` as a General MIDI sample set named `name`, through an SF2 file written in memory;
/// the error is rustysynth's reason when the written file does not load.
pub fn sample_set(name: &str, presets: &[PresetSpec]) -> Result<super::SampleSet, String> {
    let bytes = write_soundfont(name, presets);
    let font = rustysynth::SoundFont::new(&mut bytes.as_slice()).map_err(|e| format!("{e:?}"))?;
    Ok(super::SampleSet::general_midi(
        name,
        std::sync::Arc::new(font),
        Vec::new(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustysynth::{SoundFont, Synthesizer, SynthesizerSettings};
    use std::sync::Arc;

    fn sine(freq: f64, rate: u32, seconds: f64) -> Vec<i16> {
        (0..(seconds * f64::from(rate)) as usize)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                (12_000.0 * (std::f64::consts::TAU * freq * t).sin()) as i16
            })
            .collect()
    }

    fn zone(samples: Vec<i16>, root_key: u8, keys: (u8, u8)) -> Zone {
        let len = samples.len();
        Zone {
            samples,
            rate: 44_100,
            root_key,
            fine_tune_cents: 0,
            keys,
            velocities: (0, 127),
            sustain_loop: Some((len / 2, len)),
            envelope: Envelope::AS_RECORDED,
            attenuation_db: 0.0,
            pan: 0.0,
        }
    }

    /// The dominant frequency of `signal` by zero crossings (a pure tone here).
    fn crossing_frequency(signal: &[f32], rate: f64) -> f64 {
        let crossings = signal
            .windows(2)
            .filter(|w| w[0] <= 0.0 && w[1] > 0.0)
            .count();
        crossings as f64 / (signal.len() as f64 / rate)
    }

    #[test]
    fn a_written_font_loads_in_rustysynth_and_plays_its_zones_at_their_pitch() {
        let bytes = write_soundfont(
            "test",
            &[PresetSpec {
                name: "Sine".into(),
                bank: 0,
                program: 40,
                zones: vec![
                    zone(sine(440.0, 44_100, 1.0), 69, (0, 75)),
                    zone(sine(880.0, 44_100, 1.0), 81, (76, 127)),
                ],
            }],
        );
        let font = Arc::new(SoundFont::new(&mut bytes.as_slice()).expect("valid SoundFont"));
        let presets = font.get_presets();
        assert_eq!(presets.len(), 1);
        assert_eq!(presets[0].get_patch_number(), 40);
        let mut synth = Synthesizer::new(&font, &SynthesizerSettings::new(44_100)).unwrap();
        synth.process_midi_message(0, 0xC0, 40, 0);
        for (key, expected) in [(69, 440.0), (72, 523.25), (84, 1046.5)] {
            synth.note_on(0, key, 100);
            // Two seconds: the held note must loop past the one-second sample.
            let (mut left, mut right) = (vec![0.0f32; 88_200], vec![0.0f32; 88_200]);
            synth.render(&mut left, &mut right);
            synth.note_off(0, key);
            let tail = &left[44_100 + 22_050..];
            let rms = (tail.iter().map(|s| s * s).sum::<f32>() / tail.len() as f32).sqrt();
            assert!(rms > 0.01, "key {key} silent after its sample's end: {rms}");
            let frequency = crossing_frequency(&left[4410..44_100], 44_100.0);
            assert!(
                (frequency / expected - 1.0).abs() < 0.01,
                "key {key}: {frequency:.1} Hz, expected {expected}"
            );
            let (mut l, mut r) = (vec![0.0f32; 44_100], vec![0.0f32; 44_100]);
            synth.render(&mut l, &mut r);
        }
    }
}
