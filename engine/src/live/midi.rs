//! Live note events as MIDI: one channel per instrument class. MIDI has 16 channels and a
//! model may know more classes, so a class gets a channel when it first plays (announced
//! by a programme change to its GM programme, so a GM synth plays the right instrument),
//! and a silent channel is reused by another class when all are taken. Channel 10 (index 9)
//! is left to GM drums.

use crate::classes::ClassList;
use crate::timeline::notes::NoteEvent;

/// MIDI channels available to pitched classes: all but the GM drum channel.
const CHANNELS: [u8; 15] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15];

/// One MIDI message for the host, stamped with the stream position of the audio it describes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MidiMessage {
    /// Stream position (in input samples) of the audio the message describes.
    pub sample: u64,
    /// MIDI channel, 0-based.
    pub channel: u8,
    /// What to send.
    pub kind: MidiKind,
}

/// The messages live MIDI out sends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MidiKind {
    /// A note starts; velocity in [0, 1].
    NoteOn {
        /// MIDI note number.
        note: u8,
        /// Velocity in [0, 1].
        velocity: f32,
    },
    /// A note ends.
    NoteOff {
        /// MIDI note number.
        note: u8,
    },
    /// The channel now plays this GM programme.
    ProgramChange {
        /// GM programme, 0-based.
        program: u8,
    },
}

#[derive(Debug, Clone, Copy)]
struct ChannelUse {
    class: usize,
    sounding: usize,
    last_used: u64,
}

/// Assigns channels to classes and turns note events into MIDI messages.
#[derive(Debug, Clone)]
pub struct MidiChannels {
    programs: Vec<u8>,
    channels: [Option<ChannelUse>; CHANNELS.len()],
    clock: u64,
}

impl MidiChannels {
    /// Channels for a model with `classes`, none assigned yet.
    pub fn new(classes: &ClassList) -> Self {
        Self {
            programs: classes.iter().map(|c| c.export_program()).collect(),
            channels: [None; CHANNELS.len()],
            clock: 0,
        }
    }

    /// The class that owns `channel` now, if any.
    pub fn class_of_channel(&self, channel: u8) -> Option<usize> {
        let slot = CHANNELS.iter().position(|&c| c == channel)?;
        self.channels[slot].map(|u| u.class)
    }

    fn slot_for(&mut self, class: usize, sample: u64, out: &mut Vec<MidiMessage>) -> Option<usize> {
        self.clock += 1;
        if let Some(slot) = self
            .channels
            .iter()
            .position(|u| u.is_some_and(|u| u.class == class))
        {
            return Some(slot);
        }
        let slot = self.channels.iter().position(Option::is_none).or_else(|| {
            (0..CHANNELS.len())
                .filter(|&s| self.channels[s].is_some_and(|u| u.sounding == 0))
                .min_by_key(|&s| self.channels[s].map_or(0, |u| u.last_used))
        })?;
        self.channels[slot] = Some(ChannelUse {
            class,
            sounding: 0,
            last_used: self.clock,
        });
        out.push(MidiMessage {
            sample,
            channel: CHANNELS[slot],
            kind: MidiKind::ProgramChange {
                program: self.programs[class],
            },
        });
        Some(slot)
    }

    /// The MIDI messages for one note event; `sample_of(seconds)` maps stream time to a
    /// stream sample position. A note that finds no free channel is not sent (and neither
    /// is its end).
    pub fn messages(
        &mut self,
        event: &NoteEvent,
        sample_of: impl Fn(f64) -> u64,
        out: &mut Vec<MidiMessage>,
    ) {
        match *event {
            NoteEvent::Started {
                onset,
                pitch,
                class,
                velocity,
            } => {
                let sample = sample_of(onset);
                if let Some(slot) = self.slot_for(class, sample, out) {
                    let clock = self.clock;
                    let usage = self.channels[slot].as_mut().expect("slot_for assigns it");
                    usage.sounding += 1;
                    usage.last_used = clock;
                    out.push(MidiMessage {
                        sample,
                        channel: CHANNELS[slot],
                        kind: MidiKind::NoteOn {
                            note: pitch,
                            velocity,
                        },
                    });
                }
            }
            NoteEvent::Ended(ref note) => {
                let slot = self
                    .channels
                    .iter()
                    .position(|u| u.is_some_and(|u| u.class == note.class && u.sounding > 0));
                if let Some(slot) = slot {
                    let usage = self.channels[slot].as_mut().expect("found above");
                    usage.sounding -= 1;
                    out.push(MidiMessage {
                        sample: sample_of(note.offset),
                        channel: CHANNELS[slot],
                        kind: MidiKind::NoteOff { note: note.pitch },
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::notes::Note;

    fn started(class: usize, pitch: u8) -> NoteEvent {
        NoteEvent::Started {
            onset: 1.0,
            pitch,
            class,
            velocity: 0.8,
        }
    }

    fn ended(class: usize, pitch: u8) -> NoteEvent {
        NoteEvent::Ended(Note {
            onset: 1.0,
            offset: 2.0,
            pitch,
            class,
            velocity: 0.8,
            bend: Vec::new(),
        })
    }

    #[test]
    fn each_class_gets_its_own_channel_and_programme_and_drums_keep_channel_ten() {
        let classes = ClassList::default_gm();
        let mut midi = MidiChannels::new(&classes);
        let mut out = Vec::new();
        let at = |s: f64| (s * 48_000.0) as u64;
        for class in 0..classes.len() {
            midi.messages(&started(class, 60), at, &mut out);
        }
        let on: Vec<&MidiMessage> = out
            .iter()
            .filter(|m| matches!(m.kind, MidiKind::NoteOn { .. }))
            .collect();
        // 15 channels, all busy with sounding notes: the 16th class onwards finds none.
        assert_eq!(on.len(), 15);
        assert!(on.iter().all(|m| m.channel != 9 && m.sample == 48_000));
        let violin = classes.index_of("violin").unwrap();
        let programme = out.iter().find_map(|m| match m.kind {
            MidiKind::ProgramChange { program }
                if midi.class_of_channel(m.channel) == Some(violin) =>
            {
                Some(program)
            }
            _ => None,
        });
        assert_eq!(programme, Some(40));
        // A class whose notes all ended gives its channel to a newcomer.
        out.clear();
        midi.messages(&ended(0, 60), at, &mut out);
        assert!(matches!(out[0].kind, MidiKind::NoteOff { note: 60 }) && out[0].sample == 96_000);
        let freed = out[0].channel;
        out.clear();
        midi.messages(&started(20, 64), at, &mut out);
        assert_eq!(midi.class_of_channel(freed), Some(20));
        assert!(matches!(out[0].kind, MidiKind::ProgramChange { .. }));
        assert!(matches!(out[1].kind, MidiKind::NoteOn { note: 64, .. }));
    }
}
