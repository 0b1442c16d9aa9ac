//! Rendering a [`Score`] with rustysynth: every part on its own MIDI channel, events applied
//! at their exact sample, the stereo mix averaged to mono.

use std::sync::Arc;

use rustysynth::{SoundFont, Synthesizer, SynthesizerSettings};
use timbrescope_engine::classes::GM_PERCUSSION_CHANNEL;

use crate::score::{Score, Voice};

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
}

/// Renders `score` at `sample_rate` Hz to mono samples, exactly `duration × rate` long.
pub fn render_score(
    score: &Score,
    font: &Arc<SoundFont>,
    sample_rate: u32,
) -> Result<Vec<f32>, RenderError> {
    let settings = SynthesizerSettings::new(sample_rate as i32);
    let mut synth =
        Synthesizer::new(font, &settings).map_err(|e| RenderError::Synth(format!("{e:?}")))?;
    let melodic = score
        .parts
        .iter()
        .filter(|p| p.voice != Voice::Percussion)
        .count();
    if melodic > MELODIC_CHANNELS {
        return Err(RenderError::TooManyParts(melodic));
    }
    let rate = f64::from(sample_rate);
    let mut events: Vec<(usize, Event)> = Vec::new();
    let mut next_channel = 0i32;
    for part in &score.parts {
        let channel = match part.voice {
            Voice::Percussion => i32::from(GM_PERCUSSION_CHANNEL),
            Voice::Program(program) => {
                let channel = if next_channel >= i32::from(GM_PERCUSSION_CHANNEL) {
                    next_channel + 1
                } else {
                    next_channel
                };
                next_channel += 1;
                synth.process_midi_message(channel, 0xC0, i32::from(program), 0);
                channel
            }
        };
        for (cc, value) in [
            (7, part.volume),
            (10, part.pan),
            (91, part.reverb),
            (93, part.chorus),
        ] {
            synth.process_midi_message(channel, 0xB0, cc, i32::from(value));
        }
        for note in &part.notes {
            let key = i32::from(note.key);
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
    // Offs before ons at the same sample, so a repeated key restarts cleanly.
    events.sort_by_key(|(at, e)| (*at, matches!(e, Event::On { .. })));

    let total = (score.duration * rate).round() as usize;
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
    Ok(left
        .iter()
        .zip(&right)
        .map(|(l, r)| 0.5 * (l + r))
        .collect())
}
