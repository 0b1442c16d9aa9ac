//! Standard MIDI files of detected notes: one track per instrument class, on its own
//! channel with the class's GM programme, so a DAW opens them as separate instruments.
//! Notes with a pitch bend carry it as pitch-bend messages where their channel plays them
//! alone (a channel has one bend for all its notes; basic-pitch writes them the same way).

use midly::num::{u4, u7, u15, u28};
use midly::{
    Format, Header, MetaMessage, MidiMessage, PitchBend, Smf, Timing, TrackEvent, TrackEventKind,
};

use crate::classes::{ClassList, GM_PERCUSSION_CHANNEL};
use crate::timeline::notes::Note;

/// Ticks per quarter note; at the fixed 120 BPM one second is 960 ticks.
const TICKS_PER_QUARTER: u16 = 480;
const TICKS_PER_SECOND: f64 = 960.0;
const MICROSECONDS_PER_QUARTER: u32 = 500_000;
/// Semitones of a full pitch-bend message: the General MIDI default range.
const BEND_RANGE_SEMITONES: f32 = 2.0;
/// A bend is written again once it has moved this far (one cent).
const BEND_STEP_SEMITONES: f32 = 0.01;
/// Ticks per timeline frame of a note's bend (10 ms).
const TICKS_PER_BEND_FRAME: f64 = TICKS_PER_SECOND / crate::features::FRAMES_PER_SECOND as f64;

/// One channel message of a track at a tick. The order is the order at a shared tick: a
/// note ends before the bend is reset, and the next note's bend is set before it starts.
#[derive(Debug, Clone, Copy)]
enum Message {
    Off { key: u8 },
    Bend { semitones: f32 },
    On { key: u8, velocity: u8 },
}

impl Message {
    fn rank(self) -> u8 {
        match self {
            Self::Off { .. } => 0,
            Self::Bend { .. } => 1,
            Self::On { .. } => 2,
        }
    }

    fn midi(self) -> MidiMessage {
        match self {
            Self::Off { key } => MidiMessage::NoteOff {
                key: u7::new(key),
                vel: u7::new(0),
            },
            Self::Bend { semitones } => MidiMessage::PitchBend {
                bend: PitchBend::from_f32((semitones / BEND_RANGE_SEMITONES).clamp(-1.0, 1.0)),
            },
            Self::On { key, velocity } => MidiMessage::NoteOn {
                key: u7::new(key),
                vel: u7::new(velocity),
            },
        }
    }
}

/// Whether each of `notes` (sorted by onset) sounds alone: no other note overlaps it.
fn sounding_alone(notes: &[&Note]) -> Vec<bool> {
    let mut latest_end = f64::NEG_INFINITY;
    notes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let after = notes.get(i + 1).is_some_and(|next| next.onset < n.offset);
            let alone = latest_end <= n.onset && !after;
            latest_end = latest_end.max(n.offset);
            alone
        })
        .collect()
}

/// The bend messages of a note sounding alone from tick `on` on, and the reset at `off`.
fn bend_messages(bend: &[f32], on: u64, off: u64, out: &mut Vec<(u64, Message)>) {
    let mut written = 0.0f32;
    for (i, &semitones) in bend.iter().enumerate() {
        let tick = on + (i as f64 * TICKS_PER_BEND_FRAME).round() as u64;
        if tick >= off {
            break;
        }
        if (semitones - written).abs() >= BEND_STEP_SEMITONES {
            out.push((tick, Message::Bend { semitones }));
            written = semitones;
        }
    }
    if written != 0.0 {
        out.push((off, Message::Bend { semitones: 0.0 }));
    }
}

/// MIDI channel of the `track`-th exported class: 0–15 without the percussion channel.
fn channel_for(track: usize) -> u8 {
    let channel = (track % 15) as u8;
    if channel >= GM_PERCUSSION_CHANNEL {
        channel + 1
    } else {
        channel
    }
}

/// Encodes `notes` as a format-1 SMF: a tempo track, then one track per class with notes.
pub fn notes_to_midi(notes: &[Note], classes: &ClassList) -> Vec<u8> {
    let mut tracks = vec![vec![
        TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::Tempo(MICROSECONDS_PER_QUARTER.into())),
        },
        TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
        },
    ]];
    let names: Vec<String> = classes.names();
    for (class, name) in names.iter().enumerate() {
        let mut class_notes: Vec<&Note> = notes.iter().filter(|n| n.class == class).collect();
        if class_notes.is_empty() {
            continue;
        }
        class_notes.sort_by(|a, b| a.onset.total_cmp(&b.onset));
        let channel = u4::new(channel_for(tracks.len() - 1));
        let program = classes.get(class).map_or(0, |c| c.export_program());
        let mut events: Vec<(u64, Message)> = Vec::with_capacity(class_notes.len() * 2);
        for (n, alone) in class_notes.iter().zip(sounding_alone(&class_notes)) {
            let on = (n.onset * TICKS_PER_SECOND).round() as u64;
            let off = ((n.offset * TICKS_PER_SECOND).round() as u64).max(on + 1);
            let velocity = (n.velocity.clamp(0.0, 1.0) * 126.0).round() as u8 + 1;
            events.push((
                on,
                Message::On {
                    key: n.pitch,
                    velocity,
                },
            ));
            if alone {
                bend_messages(&n.bend, on, off, &mut events);
            }
            events.push((off, Message::Off { key: n.pitch }));
        }
        // Stable: at a shared tick, a note's bend reset stays before the next note's bend.
        events.sort_by_key(|&(tick, message)| (tick, message.rank()));
        let mut track = vec![
            TrackEvent {
                delta: u28::new(0),
                kind: TrackEventKind::Meta(MetaMessage::TrackName(name.as_bytes())),
            },
            TrackEvent {
                delta: u28::new(0),
                kind: TrackEventKind::Midi {
                    channel,
                    message: MidiMessage::ProgramChange {
                        program: u7::new(program),
                    },
                },
            },
        ];
        let mut last = 0u64;
        for (tick, message) in events {
            track.push(TrackEvent {
                delta: u28::new((tick - last) as u32),
                kind: TrackEventKind::Midi {
                    channel,
                    message: message.midi(),
                },
            });
            last = tick;
        }
        track.push(TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
        });
        tracks.push(track);
    }
    let smf = Smf {
        header: Header::new(
            Format::Parallel,
            Timing::Metrical(u15::new(TICKS_PER_QUARTER)),
        ),
        tracks,
    };
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes)
        .expect("writing to memory cannot fail");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(onset: f64, offset: f64, pitch: u8, bend: Vec<f32>) -> Note {
        Note {
            onset,
            offset,
            pitch,
            class: 0,
            velocity: 0.8,
            bend,
        }
    }

    /// The pitch-bend values (in semitones) of the first instrument track, in order.
    fn bends(notes: &[Note]) -> Vec<f32> {
        let bytes = notes_to_midi(notes, &ClassList::default_gm());
        let smf = Smf::parse(&bytes).expect("the file parses");
        smf.tracks[1]
            .iter()
            .filter_map(|event| match event.kind {
                TrackEventKind::Midi {
                    message: MidiMessage::PitchBend { bend },
                    ..
                } => Some(bend.as_f32() * BEND_RANGE_SEMITONES),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_note_sounding_alone_carries_its_bend_and_resets_it_at_its_end() {
        let vibrato: Vec<f32> = (0..50).map(|i| 0.3 * (i as f32 * 0.6).sin()).collect();
        let written = bends(&[note(0.0, 0.5, 69, vibrato.clone())]);
        assert!(written.len() > 20, "{written:?}");
        let peak = written.iter().fold(0.0f32, |m, b| m.max(b.abs()));
        assert!((peak - 0.3).abs() < 0.01, "{peak}");
        assert!(
            written.last().unwrap().abs() < 1e-3,
            "reset at the end: {written:?}"
        );
    }

    #[test]
    fn overlapping_notes_on_one_channel_carry_no_bend() {
        let bend = vec![0.25; 40];
        let chord = [note(0.0, 0.4, 60, bend.clone()), note(0.1, 0.5, 64, bend)];
        assert!(bends(&chord).is_empty());
        assert!(bends(&[note(0.0, 0.4, 60, Vec::new())]).is_empty());
    }
}
