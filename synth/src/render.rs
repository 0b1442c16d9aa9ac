//! Rendering a [`Score`] with rustysynth: every part on its own MIDI channel, events applied
//! at their exact sample, the stereo mix averaged to mono. Parts may also be rendered one by
//! one, each with its own sample set and [`TimbreShift`], so training hears more than one
//! sample set per instrument. A part whose sound its set lacks or denies is refused, never
//! played by another sound under its label.

use rustysynth::{Synthesizer, SynthesizerSettings};
use timbrescope_engine::classes::GM_PERCUSSION_CHANNEL;

use crate::sample_sets::{Placement, Refusal, SampleSet};
use crate::score::{Part, Score, Voice};

/// Channels available to melodic parts (all but the percussion channel).
const MELODIC_CHANNELS: usize = 15;

#[derive(Debug, Clone, Copy)]
enum Event {
    On {
        channel: i32,
        key: i32,
        velocity: i32,
    },
    Off {
        channel: i32,
        key: i32,
    },
}

/// Why a score could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// More melodic parts than MIDI channels.
    #[error("a score renders at most {MELODIC_CHANNELS} melodic parts, this one has {0}")]
    TooManyParts(usize),
    /// rustysynth refused the settings.
    #[error("synthesizer: {0}")]
    Synth(String),
    /// The sample set will not play a part.
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// A change of one part's sound that keeps its notes: the part is played `semitones` above
/// its written keys by a synthesizer running that much (plus `cents`) faster than the output
/// rate, so its pitch comes back to the written keys (detuned by `-cents`). What changes is
/// the rest of the instrument: each note sounds from the sample zone of the raised key,
/// and the envelopes, vibrato and filters run at the scaled rate, so attacks and decays
/// stretch or shrink by the interval. Percussion keys choose drums, so there only the rate
/// changes: the kit is retuned. A shift whose synthesizer rate falls outside rustysynth's
/// 16–192 kHz is refused.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TimbreShift {
    /// Semitones the keys are raised before the rate brings them back down.
    pub semitones: i8,
    /// Further rate change in cents, heard as detuning.
    pub cents: f32,
}

impl TimbreShift {
    /// The synthesizer's rate for an output at `rate`.
    fn synth_rate(self, rate: u32, voice: Voice) -> i32 {
        let semitones = f64::from(self.key_offset(voice));
        let factor = ((semitones * 100.0 + f64::from(self.cents)) / 1200.0).exp2();
        (f64::from(rate) * factor).round() as i32
    }

    fn key_offset(self, voice: Voice) -> i32 {
        if voice == Voice::Percussion {
            0
        } else {
            i32::from(self.semitones)
        }
    }
}

fn synthesizer(set: &SampleSet, rate: i32) -> Result<Synthesizer, RenderError> {
    Synthesizer::new(set.font(), &SynthesizerSettings::new(rate))
        .map_err(|e| RenderError::Synth(format!("{e:?}")))
}

/// The channel a preset at `placement` plays on: kits on the percussion channel, other
/// presets on the next of `melodic`.
fn channel_for(placement: Placement, melodic: &mut impl Iterator<Item = i32>) -> i32 {
    if placement.is_kit() {
        i32::from(GM_PERCUSSION_CHANNEL)
    } else {
        melodic.next().expect("parts counted against the channels")
    }
}

/// Sets up `part` on `channel` of `synth` playing the preset at `placement`, and lists its
/// note events with keys raised by `key_offset` (notes pushed out of the MIDI range are
/// dropped), at output rate `rate`.
fn part_events(
    synth: &mut Synthesizer,
    part: &Part,
    (channel, placement): (i32, Placement),
    key_offset: i32,
    rate: f64,
    events: &mut Vec<(usize, Event)>,
) {
    // On the percussion channel rustysynth adds the kit bank (128) itself.
    let bank = i32::from(placement.bank % 128);
    synth.process_midi_message(channel, 0xB0, 0, bank);
    synth.process_midi_message(channel, 0xC0, i32::from(placement.program), 0);
    for (cc, value) in [
        (7, part.volume),
        (10, part.pan),
        (91, part.reverb),
        (93, part.chorus),
    ] {
        synth.process_midi_message(channel, 0xB0, cc, i32::from(value));
    }
    for note in &part.notes {
        let key = i32::from(note.key) + key_offset;
        if !(0..128).contains(&key) {
            continue;
        }
        events.push((
            (note.onset * rate).round() as usize,
            Event::On {
                channel,
                key,
                velocity: i32::from(note.velocity),
            },
        ));
        events.push((
            (note.offset() * rate).round() as usize,
            Event::Off { channel, key },
        ));
    }
}

/// Plays `events` on `synth` for `total` output samples, returning the mono mix.
fn play(synth: &mut Synthesizer, mut events: Vec<(usize, Event)>, total: usize) -> Vec<f32> {
    // Offs before ons at the same sample, so a repeated key restarts cleanly.
    events.sort_by_key(|(at, e)| (*at, matches!(e, Event::On { .. })));
    let mut left = vec![0.0f32; total];
    let mut right = vec![0.0f32; total];
    let mut position = 0usize;
    for (at, event) in events.into_iter().chain(std::iter::once((
        total,
        Event::Off {
            channel: 0,
            key: -1,
        },
    ))) {
        let at = at.min(total);
        if at > position {
            synth.render(&mut left[position..at], &mut right[position..at]);
            position = at;
        }
        match event {
            Event::On {
                channel,
                key,
                velocity,
            } => synth.note_on(channel, key, velocity),
            Event::Off { channel, key } if key >= 0 => synth.note_off(channel, key),
            Event::Off { .. } => {}
        }
    }
    left.iter()
        .zip(&right)
        .map(|(l, r)| 0.5 * (l + r))
        .collect()
}

/// Renders `score` at `sample_rate` Hz to mono samples with `set`, exactly
/// `duration × rate` long.
pub fn render_score(
    score: &Score,
    set: &SampleSet,
    sample_rate: u32,
) -> Result<Vec<f32>, RenderError> {
    let placements = score
        .parts
        .iter()
        .map(|part| set.placement(part.voice, part.variation))
        .collect::<Result<Vec<_>, _>>()?;
    let melodic = placements.iter().filter(|p| !p.is_kit()).count();
    if melodic > MELODIC_CHANNELS {
        return Err(RenderError::TooManyParts(melodic));
    }
    let mut synth = synthesizer(set, sample_rate as i32)?;
    let mut events: Vec<(usize, Event)> = Vec::new();
    let mut melodic_channels = (0..16).filter(|&c| c != i32::from(GM_PERCUSSION_CHANNEL));
    for (part, placement) in score.parts.iter().zip(placements) {
        let channel = channel_for(placement, &mut melodic_channels);
        part_events(
            &mut synth,
            part,
            (channel, placement),
            0,
            f64::from(sample_rate),
            &mut events,
        );
    }
    Ok(play(&mut synth, events, score.samples_at(sample_rate)))
}

/// Renders `part` alone with `set` through `shift`, `samples` long at `sample_rate` Hz, so
/// that each part of a score can come from its own sample set and be filtered on its own
/// before mixing.
pub fn render_part(
    part: &Part,
    set: &SampleSet,
    sample_rate: u32,
    shift: TimbreShift,
    samples: usize,
) -> Result<Vec<f32>, RenderError> {
    let placement = set.placement(part.voice, part.variation)?;
    let mut synth = synthesizer(set, shift.synth_rate(sample_rate, part.voice))?;
    let channel = channel_for(placement, &mut std::iter::once(0));
    let mut events = Vec::new();
    part_events(
        &mut synth,
        part,
        (channel, placement),
        shift.key_offset(part.voice),
        f64::from(sample_rate),
        &mut events,
    );
    Ok(play(&mut synth, events, samples))
}

/// Which sample set plays each part of a score.
#[derive(Debug, Clone)]
pub enum Cast<'a> {
    /// One set plays every part.
    All(&'a SampleSet),
    /// Part `i` is played by entry `i`.
    PerPart(Vec<&'a SampleSet>),
}

impl<'a> Cast<'a> {
    /// The set that plays part `part`.
    pub fn set_of(&self, part: usize) -> &'a SampleSet {
        match self {
            Cast::All(set) => set,
            Cast::PerPart(sets) => sets[part],
        }
    }

    /// The set when one plays every part.
    pub fn single(&self) -> Option<&'a SampleSet> {
        match self {
            Cast::All(set) => Some(set),
            Cast::PerPart(_) => None,
        }
    }
}

impl<'a> From<&'a SampleSet> for Cast<'a> {
    fn from(set: &'a SampleSet) -> Self {
        Cast::All(set)
    }
}

/// Renders each part of `score` alone with its set in `cast` at `sample_rate` Hz with the
/// matching entry of `shifts` (missing entries: no shift), each exactly `duration × rate`
/// long.
pub fn render_parts(
    score: &Score,
    cast: &Cast,
    sample_rate: u32,
    shifts: &[TimbreShift],
) -> Result<Vec<Vec<f32>>, RenderError> {
    score
        .parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let shift = shifts.get(i).copied().unwrap_or_default();
            let samples = score.samples_at(sample_rate);
            render_part(part, cast.set_of(i), sample_rate, shift, samples)
        })
        .collect()
}
