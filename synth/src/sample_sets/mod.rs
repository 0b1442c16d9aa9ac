//! Sample sets: the recorded (or synthesised) sounds a score is rendered with, whatever
//! format they come in. Each is played by rustysynth, so every set is held as a SoundFont:
//! SF2 files directly ([`sf2_file`]), GUS patches ([`gus_patch`]) and loose OGG/WAV
//! one-shots ([`one_shots`]) through a SoundFont built in memory ([`sf2_writer`]).
//!
//! A set also knows which of its presets may never be played (the deny-list of
//! `../shared/TIMBRE_SOURCES.md`, [`denylist`]) and where each General MIDI voice sits in
//! it, so the renderer refuses a denied or missing sound instead of playing a wrong one
//! under a right label.

pub mod catalogue;
pub mod denylist;
pub mod ensemble;
pub mod gus_patch;
pub mod one_shots;
pub mod sf2_file;
pub mod sf2_writer;

use std::collections::BTreeMap;
use std::sync::Arc;

use rustysynth::SoundFont;

use timbrescope_engine::classes::ClassList;

use crate::score::{Score, Voice};
pub use sf2_file::{SoundFontError, TRAINING_FONT, VALIDATION_FONT, load_soundfont};
use sf2_writer::PERCUSSION_BANK;

/// Where a sound sits in a SoundFont: its bank (128 and up for drum kits) and programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Placement {
    /// The preset's bank.
    pub bank: u16,
    /// The preset's programme.
    pub program: u16,
}

impl Placement {
    /// Whether the preset is a drum kit, which rustysynth plays on the percussion channel.
    pub fn is_kit(self) -> bool {
        self.bank >= PERCUSSION_BANK
    }
}

/// Why a sample set will not play a part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The deny-list forbids the preset: its samples are the evaluation fonts' own.
    #[error("{set}: preset {bank}:{program} is on the deny-list and is never rendered")]
    Denied {
        /// The sample set.
        set: String,
        /// The preset's bank.
        bank: u16,
        /// The preset's programme.
        program: u16,
    },
    /// The set has no sound for the voice; rustysynth would play another one in its place.
    #[error("{set} has no sound for {voice:?}")]
    Missing {
        /// The sample set.
        set: String,
        /// The voice asked for.
        voice: Voice,
    },
}

/// One sample set, ready for the renderer.
#[derive(Clone)]
pub struct SampleSet {
    name: String,
    font: Arc<SoundFont>,
    /// Where each (voice, variation) plays; denied presets are absent.
    placements: BTreeMap<(Voice, u8), Placement>,
    denied: Vec<Placement>,
}

impl std::fmt::Debug for SampleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleSet")
            .field("name", &self.name)
            .field("sounds", &self.placements.len())
            .field("denied", &self.denied.len())
            .finish()
    }
}

impl SampleSet {
    /// A set laid out as General MIDI: bank 128 holds kits (variation = kit programme),
    /// other banks the programmes' variations (variation = bank). Presets in `denied` are
    /// never placed and are refused by name when asked for.
    pub fn general_midi(name: &str, font: Arc<SoundFont>, denied: Vec<Placement>) -> Self {
        let placements = font
            .get_presets()
            .iter()
            .filter_map(|preset| {
                let placement = Placement {
                    bank: u16::try_from(preset.get_bank_number()).ok()?,
                    program: u16::try_from(preset.get_patch_number()).ok()?,
                };
                if denied.contains(&placement) {
                    return None;
                }
                let key = if placement.is_kit() {
                    (Voice::Percussion, u8::try_from(placement.program).ok()?)
                } else {
                    let program = u8::try_from(placement.program).ok().filter(|p| *p < 128)?;
                    (Voice::Program(program), u8::try_from(placement.bank).ok()?)
                };
                Some((key, placement))
            })
            .collect();
        Self {
            name: name.to_owned(),
            font,
            placements,
            denied,
        }
    }

    /// A font holding one preset, which plays `voice` wherever it sits (single-preset fonts
    /// answer only their own bank and programme, often 0:0 whatever they hold).
    pub fn single_preset(name: &str, font: Arc<SoundFont>, voice: Voice) -> Option<Self> {
        let preset = font.get_presets().first()?;
        let placement = Placement {
            bank: u16::try_from(preset.get_bank_number()).ok()?,
            program: u16::try_from(preset.get_patch_number()).ok()?,
        };
        Some(Self {
            name: name.to_owned(),
            font,
            placements: BTreeMap::from([((voice, 0), placement)]),
            denied: Vec::new(),
        })
    }

    /// The same set under another name (a catalogue source's own).
    pub fn renamed(mut self, name: &str) -> Self {
        name.clone_into(&mut self.name);
        self
    }

    /// The set's name, as sidecars and errors give it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The SoundFont rustysynth plays.
    pub fn font(&self) -> &Arc<SoundFont> {
        &self.font
    }

    /// Where `voice` in `variation` plays: that variation where the set has it, else the
    /// voice's main sound (variation 0), else a [`Refusal`].
    pub fn placement(&self, voice: Voice, variation: u8) -> Result<Placement, Refusal> {
        for variation in [variation, 0] {
            let slot = general_midi_slot(voice, variation);
            if self.denied.contains(&slot) {
                return Err(Refusal::Denied {
                    set: self.name.clone(),
                    bank: slot.bank,
                    program: slot.program,
                });
            }
            if let Some(placement) = self.placements.get(&(voice, variation)) {
                return Ok(*placement);
            }
        }
        Err(Refusal::Missing {
            set: self.name.clone(),
            voice,
        })
    }

    /// Whether the set can play `voice` at all.
    pub fn plays(&self, voice: Voice) -> bool {
        self.placements.contains_key(&(voice, 0))
    }

    /// The voices the set plays, each once.
    pub fn voices(&self) -> Vec<Voice> {
        let mut voices: Vec<Voice> = self.placements.keys().map(|(voice, _)| *voice).collect();
        voices.dedup();
        voices
    }

    /// Makes `score` playable by the set without changing what its labels say: a part whose
    /// programme the set lacks takes the first programme of the same class that the set
    /// plays, and a part of a class the set cannot play at all is dropped. A full General
    /// MIDI set changes nothing.
    pub fn fit(&self, score: &mut Score, classes: &ClassList) {
        score.parts.retain_mut(|part| {
            if self.plays(part.voice) {
                return true;
            }
            let Voice::Program(program) = part.voice else {
                return false;
            };
            let sibling = classes
                .class_of_program(program)
                .and_then(|class| classes.get(class))
                .and_then(|class| {
                    class
                        .programs
                        .iter()
                        .copied()
                        .find(|p| self.plays(Voice::Program(*p)))
                });
            match sibling {
                Some(program) => {
                    part.voice = Voice::Program(program);
                    part.variation = 0;
                    true
                }
                None => false,
            }
        });
    }

    /// The variations the set holds of `voice` besides its main sound, ascending, as
    /// [`Part::variation`](crate::score::Part::variation) values (FluidR3's other banks of a
    /// programme, its kits other than the standard one).
    pub fn variations(&self, voice: Voice) -> Vec<u8> {
        self.placements
            .range((voice, 1)..=(voice, u8::MAX))
            .map(|((_, variation), _)| *variation)
            .collect()
    }
}

/// The General MIDI bank and programme of `voice` in `variation`.
fn general_midi_slot(voice: Voice, variation: u8) -> Placement {
    match voice {
        Voice::Program(program) => Placement {
            bank: u16::from(variation),
            program: u16::from(program),
        },
        Voice::Percussion => Placement {
            bank: PERCUSSION_BANK,
            program: u16::from(variation),
        },
    }
}
