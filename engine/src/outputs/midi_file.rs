//! Standard MIDI files of detected notes: one track per instrument class, on its own
//! channel with the class's GM programme, so a DAW opens them as separate instruments.

use midly::num::{u4, u7, u15, u28};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

use crate::classes::{ClassList, GM_PERCUSSION_CHANNEL};
use crate::timeline::notes::Note;

/// Ticks per quarter note; at the fixed 120 BPM one second is 960 ticks.
const TICKS_PER_QUARTER: u16 = 480;
const TICKS_PER_SECOND: f64 = 960.0;
const MICROSECONDS_PER_QUARTER: u32 = 500_000;

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
        let class_notes: Vec<&Note> = notes.iter().filter(|n| n.class == class).collect();
        if class_notes.is_empty() {
            continue;
        }
        let channel = u4::new(channel_for(tracks.len() - 1));
        let program = classes.get(class).map_or(0, |c| c.export_program());
        // (tick, is_note_on, key, velocity); offs sort before ons at the same tick.
        let mut events: Vec<(u64, bool, u8, u8)> = Vec::with_capacity(class_notes.len() * 2);
        for n in class_notes {
            let on = (n.onset * TICKS_PER_SECOND).round() as u64;
            let off = ((n.offset * TICKS_PER_SECOND).round() as u64).max(on + 1);
            let velocity = (n.velocity.clamp(0.0, 1.0) * 126.0).round() as u8 + 1;
            events.push((on, true, n.pitch, velocity));
            events.push((off, false, n.pitch, 0));
        }
        events.sort_by_key(|&(tick, on, key, _)| (tick, on, key));
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
        for (tick, on, key, velocity) in events {
            let message = if on {
                MidiMessage::NoteOn {
                    key: u7::new(key),
                    vel: u7::new(velocity),
                }
            } else {
                MidiMessage::NoteOff {
                    key: u7::new(key),
                    vel: u7::new(0),
                }
            };
            track.push(TrackEvent {
                delta: u28::new((tick - last) as u32),
                kind: TrackEventKind::Midi { channel, message },
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
