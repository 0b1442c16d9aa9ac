//! What is played: parts (an instrument each) holding timed notes.

/// How a part sounds: a melodic GM programme, or the GM percussion channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Voice {
    /// A melodic General MIDI programme, 0-based.
    Program(u8),
    /// The percussion channel; note numbers select drum sounds.
    Percussion,
}

/// One note of a part.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreNote {
    /// Start in seconds.
    pub onset: f64,
    /// Length in seconds (key held down).
    pub duration: f64,
    /// MIDI key.
    pub key: u8,
    /// MIDI velocity, 1–127.
    pub velocity: u8,
}

impl ScoreNote {
    /// End of the note in seconds.
    pub fn offset(&self) -> f64 {
        self.onset + self.duration
    }
}

/// One instrument's line, with its mix settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// The sound.
    pub voice: Voice,
    /// Its notes, in any order.
    pub notes: Vec<ScoreNote>,
    /// Channel volume (CC 7), 0–127.
    pub volume: u8,
    /// Pan (CC 10), 0–127, 64 = centre.
    pub pan: u8,
    /// Reverb send (CC 91), 0–127.
    pub reverb: u8,
    /// Chorus send (CC 93), 0–127.
    pub chorus: u8,
    /// Which of the font's sounds of this voice plays it, 0 being the General MIDI one: for a
    /// programme the bank (CC 0) its preset is taken from, on the percussion channel the kit
    /// (programme). Fonts keep other sounds of the same instrument there (FluidR3 a ukulele
    /// and a mandolin beside its acoustic guitars, 30 kits beside the standard one), so
    /// training can hear one instrument through more than one sample set. A variation the
    /// font lacks falls back to the General MIDI sound.
    pub variation: u8,
}

impl Part {
    /// A part with neutral mix settings.
    pub fn new(voice: Voice, notes: Vec<ScoreNote>) -> Self {
        Self {
            voice,
            notes,
            volume: 100,
            pan: 64,
            reverb: 40,
            chorus: 0,
            variation: 0,
        }
    }
}

/// A piece: parts and its length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Score {
    /// The instruments and their notes.
    pub parts: Vec<Part>,
    /// Length in seconds; rendering lasts exactly this long.
    pub duration: f64,
}

impl Score {
    /// How many samples a rendering at `rate` Hz holds, so that parts rendered apart line up.
    pub fn samples_at(&self, rate: u32) -> usize {
        (self.duration * f64::from(rate)).round() as usize
    }
}
