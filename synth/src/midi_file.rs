//! Standard MIDI files as [`Score`]s, so that a user's MIDI files and MIDI-aligned multitrack
//! datasets are rendered and labelled by the same code as procedural music. Tempo changes are
//! followed, a note takes the programme its channel has when it starts, and channel 10 is
//! percussion, as General MIDI says.

use std::collections::{BTreeMap, HashMap, VecDeque};

use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};
use timbrescope_engine::classes::GM_PERCUSSION_CHANNEL;

use crate::score::{Part, Score, ScoreNote, Voice};

/// Why a MIDI file gives no score.
#[derive(Debug, thiserror::Error)]
pub enum MidiFileError {
    /// The bytes are not a standard MIDI file.
    #[error("not a standard MIDI file: {0}")]
    Parse(#[from] midly::Error),
    /// Nothing to render or label.
    #[error("the MIDI file has no notes")]
    NoNotes,
    /// Longer than anything worth rendering: a damaged file whose times ran away, which would
    /// otherwise ask for gigabytes of audio.
    #[error("the MIDI file lasts {0:.0} s, more than the {MAX_SCORE_SECONDS:.0} s rendered")]
    TooLong(f64),
}

/// The longest score a MIDI file may give.
pub const MAX_SCORE_SECONDS: f64 = 3600.0;

/// Seconds kept after the last note ends, so the release is rendered and labelled silent.
pub const RELEASE_TAIL_S: f64 = 1.0;

/// Microseconds per quarter note until a tempo event says otherwise (120 bpm).
const DEFAULT_TEMPO_US: f64 = 500_000.0;

/// Tick → seconds, piecewise linear between tempo changes.
struct TempoMap {
    /// `(first tick, seconds at it, seconds per tick)`, by tick.
    segments: Vec<(u64, f64, f64)>,
}

impl TempoMap {
    fn new(timing: Timing, tempo_changes: &[(u64, f64)]) -> Self {
        let ticks_per_beat = match timing {
            Timing::Metrical(ticks) => f64::from(ticks.as_int().max(1)),
            Timing::Timecode(fps, subframes) => {
                let per_tick = 1.0 / (f64::from(fps.as_f32()) * f64::from(subframes.max(1)));
                return Self {
                    segments: vec![(0, 0.0, per_tick)],
                };
            }
        };
        let mut segments = vec![(0, 0.0, DEFAULT_TEMPO_US * 1e-6 / ticks_per_beat)];
        for &(tick, tempo_us) in tempo_changes {
            let &(start, seconds, per_tick) = segments.last().expect("one segment at least");
            let per_tick_now = tempo_us * 1e-6 / ticks_per_beat;
            if tick == start {
                segments.pop();
                segments.push((tick, seconds, per_tick_now));
            } else {
                let at = seconds + (tick - start) as f64 * per_tick;
                segments.push((tick, at, per_tick_now));
            }
        }
        Self { segments }
    }

    fn seconds(&self, tick: u64) -> f64 {
        let index = self.segments.partition_point(|s| s.0 <= tick).max(1) - 1;
        let (start, seconds, per_tick) = self.segments[index];
        seconds + (tick - start) as f64 * per_tick
    }
}

/// Mix settings of a channel as its controllers set them.
#[derive(Clone, Copy)]
struct ChannelState {
    program: u8,
    volume: u8,
    pan: u8,
    reverb: u8,
    chorus: u8,
}

impl Default for ChannelState {
    fn default() -> Self {
        let neutral = Part::new(Voice::Percussion, Vec::new());
        Self {
            program: 0,
            volume: neutral.volume,
            pan: neutral.pan,
            reverb: neutral.reverb,
            chorus: neutral.chorus,
        }
    }
}

/// A channel event at its absolute tick.
struct TimedMessage {
    tick: u64,
    channel: u8,
    message: MidiMessage,
}

/// A sounding note waiting for its note-off.
struct OpenNote {
    onset: u64,
    velocity: u8,
    voice: Voice,
    mix: ChannelState,
}

/// Parts by channel and voice, in a fixed order so a file always gives the same score.
type PartsByVoice = BTreeMap<(u8, Option<u8>), Part>;

/// Files `note`, ended at tick `end`, under its channel's part for its voice.
fn finish_note(
    parts: &mut PartsByVoice,
    tempo: &TempoMap,
    channel: u8,
    key: u8,
    note: OpenNote,
    end: u64,
) {
    let program = match note.voice {
        Voice::Program(p) => Some(p),
        Voice::Percussion => None,
    };
    let onset = tempo.seconds(note.onset);
    let part = parts.entry((channel, program)).or_insert_with(|| Part {
        volume: note.mix.volume,
        pan: note.mix.pan,
        reverb: note.mix.reverb,
        chorus: note.mix.chorus,
        ..Part::new(note.voice, Vec::new())
    });
    part.notes.push(ScoreNote {
        onset,
        duration: (tempo.seconds(end) - onset).max(0.0),
        key,
        velocity: note.velocity,
    });
}

/// Reads a standard MIDI file (format 0, 1 or 2) into a score: one part per channel and
/// programme, every note with its onset, length and velocity in seconds. The score lasts
/// until [`RELEASE_TAIL_S`] after the last note ends.
pub fn score_from_midi(bytes: &[u8]) -> Result<Score, MidiFileError> {
    let smf = Smf::parse(bytes)?;
    let mut tempo_changes = Vec::new();
    let mut messages = Vec::new();
    for track in &smf.tracks {
        let mut tick = 0u64;
        for event in track {
            tick += u64::from(event.delta.as_int());
            match event.kind {
                TrackEventKind::Meta(MetaMessage::Tempo(us)) => {
                    tempo_changes.push((tick, f64::from(us.as_int())));
                }
                TrackEventKind::Midi { channel, message } => messages.push(TimedMessage {
                    tick,
                    channel: channel.as_int(),
                    message,
                }),
                _ => {}
            }
        }
    }
    tempo_changes.sort_by_key(|&(tick, _)| tick);
    // Stable: events at one tick keep their order within the file.
    messages.sort_by_key(|m| m.tick);
    let tempo = TempoMap::new(smf.header.timing, &tempo_changes);

    let last_tick = messages.last().map_or(0, |m| m.tick);
    let mut channels = [ChannelState::default(); 16];
    let mut open: HashMap<(u8, u8), VecDeque<OpenNote>> = HashMap::new();
    let mut parts = PartsByVoice::new();
    for TimedMessage {
        tick,
        channel,
        message,
    } in messages
    {
        let state = &mut channels[usize::from(channel)];
        match message {
            MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                let voice = if channel == GM_PERCUSSION_CHANNEL {
                    Voice::Percussion
                } else {
                    Voice::Program(state.program)
                };
                open.entry((channel, key.as_int()))
                    .or_default()
                    .push_back(OpenNote {
                        onset: tick,
                        velocity: vel.as_int(),
                        voice,
                        mix: *state,
                    });
            }
            MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                // A repeated key ends its earliest sounding note first.
                if let Some(note) = open
                    .get_mut(&(channel, key.as_int()))
                    .and_then(VecDeque::pop_front)
                {
                    finish_note(&mut parts, &tempo, channel, key.as_int(), note, tick);
                }
            }
            MidiMessage::ProgramChange { program } => state.program = program.as_int(),
            MidiMessage::Controller { controller, value } => {
                let value = value.as_int();
                match controller.as_int() {
                    7 => state.volume = value,
                    10 => state.pan = value,
                    91 => state.reverb = value,
                    93 => state.chorus = value,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    // Notes never released end with the file's last event.
    for ((channel, key), notes) in open {
        for note in notes {
            let end = last_tick.max(note.onset);
            finish_note(&mut parts, &tempo, channel, key, note, end);
        }
    }
    let mut parts: Vec<Part> = parts.into_values().collect();
    for part in &mut parts {
        part.notes
            .sort_by(|a, b| a.onset.total_cmp(&b.onset).then(a.key.cmp(&b.key)));
    }
    let end = parts
        .iter()
        .flat_map(|p| &p.notes)
        .map(ScoreNote::offset)
        .max_by(f64::total_cmp)
        .ok_or(MidiFileError::NoNotes)?;
    if end.is_nan() || end > MAX_SCORE_SECONDS {
        return Err(MidiFileError::TooLong(end));
    }
    Ok(Score {
        parts,
        duration: end + RELEASE_TAIL_S,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use midly::num::{u4, u7, u15, u24, u28};
    use midly::{Format, Header, TrackEvent};

    fn at(delta: u32, kind: TrackEventKind<'static>) -> TrackEvent<'static> {
        TrackEvent {
            delta: u28::new(delta),
            kind,
        }
    }

    fn on(channel: u8, key: u8, velocity: u8) -> TrackEventKind<'static> {
        TrackEventKind::Midi {
            channel: u4::new(channel),
            message: MidiMessage::NoteOn {
                key: u7::new(key),
                vel: u7::new(velocity),
            },
        }
    }

    fn off(channel: u8, key: u8) -> TrackEventKind<'static> {
        TrackEventKind::Midi {
            channel: u4::new(channel),
            message: MidiMessage::NoteOff {
                key: u7::new(key),
                vel: u7::new(0),
            },
        }
    }

    fn message(channel: u8, message: MidiMessage) -> TrackEventKind<'static> {
        TrackEventKind::Midi {
            channel: u4::new(channel),
            message,
        }
    }

    /// 480 ticks per beat: 120 bpm, then 240 bpm from tick 960 (1 s in).
    fn example_file() -> Vec<u8> {
        let tempo = |us| TrackEventKind::Meta(MetaMessage::Tempo(u24::new(us)));
        let end = TrackEventKind::Meta(MetaMessage::EndOfTrack);
        let conductor = vec![at(0, tempo(500_000)), at(960, tempo(250_000)), at(0, end)];
        let program = |p| MidiMessage::ProgramChange {
            program: u7::new(p),
        };
        let volume = MidiMessage::Controller {
            controller: u7::new(7),
            value: u7::new(90),
        };
        let melody = vec![
            at(0, message(0, program(40))),
            at(0, message(0, volume)),
            at(0, on(0, 60, 100)),  // 0 s
            at(480, off(0, 60)),    // 0.5 s
            at(960, on(0, 64, 80)), // tick 1440: 1.25 s
            at(240, on(0, 64, 0)),  // note-on at velocity 0 ends it: 1.375 s
            at(0, message(0, program(0))),
            at(0, on(0, 67, 90)), // now a piano note
            at(480, off(0, 67)),  // tick 2160: 1.625 s
            at(0, end),
        ];
        let drums = vec![
            at(480, on(9, 36, 110)), // 0.5 s
            at(40, off(9, 36)),      // 40 ticks at 120 bpm
            at(680, on(9, 42, 70)),  // tick 1200: 1.125 s, never released
            at(0, end),
        ];
        let smf = Smf {
            header: Header::new(Format::Parallel, Timing::Metrical(u15::new(480))),
            tracks: vec![conductor, melody, drums],
        };
        let mut bytes = Vec::new();
        smf.write_std(&mut bytes).unwrap();
        bytes
    }

    fn assert_note(note: &ScoreNote, onset: f64, offset: f64, key: u8) {
        assert_eq!(note.key, key);
        assert!((note.onset - onset).abs() < 1e-9, "{note:?}: onset {onset}");
        assert!(
            (note.offset() - offset).abs() < 1e-9,
            "{note:?}: end {offset}"
        );
    }

    #[test]
    fn notes_follow_tempo_changes_programmes_and_the_percussion_channel() {
        let score = score_from_midi(&example_file()).unwrap();
        let voices: Vec<Voice> = score.parts.iter().map(|p| p.voice).collect();
        assert_eq!(
            voices,
            [Voice::Program(0), Voice::Program(40), Voice::Percussion]
        );
        let [piano, violin, drums] = &score.parts[..] else {
            unreachable!()
        };
        assert_eq!(violin.notes.len(), 2);
        assert_note(&violin.notes[0], 0.0, 0.5, 60);
        assert_note(&violin.notes[1], 1.25, 1.375, 64);
        assert_eq!(violin.notes[0].velocity, 100);
        assert_eq!(violin.volume, 90);
        assert_note(&piano.notes[0], 1.375, 1.625, 67);
        assert_note(&drums.notes[0], 0.5, 0.5 + 40.0 / 960.0, 36);
        // Held to the file's last event.
        assert_note(&drums.notes[1], 1.125, 1.625, 42);
        assert!((score.duration - (1.625 + RELEASE_TAIL_S)).abs() < 1e-9);
    }

    #[test]
    fn a_file_without_notes_or_not_midi_is_an_error() {
        assert!(matches!(
            score_from_midi(b"RIFF....WAVE"),
            Err(MidiFileError::Parse(_))
        ));
        let smf = Smf {
            header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(96))),
            tracks: vec![vec![at(0, TrackEventKind::Meta(MetaMessage::EndOfTrack))]],
        };
        let mut bytes = Vec::new();
        smf.write_std(&mut bytes).unwrap();
        assert!(matches!(
            score_from_midi(&bytes),
            Err(MidiFileError::NoNotes)
        ));
    }
}
