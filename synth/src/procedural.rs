//! Procedural multi-part music: a random key, tempo, metre and density; parts such as melody,
//! counter-melody, chords, arpeggios, bass line and drums; 1–6 instruments drawn from the
//! class list with a random GM programme and mix. Deterministic for a seed.

use rand::distr::weighted::WeightedIndex;
use rand::prelude::*;
use rand::rngs::StdRng;
use timbrescope_engine::classes::{ClassList, InstrumentClass, PercussionPart};

use crate::score::{Part, Score, ScoreNote, Voice};

/// Settings of the generator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProceduralConfig {
    /// Length of each piece in seconds.
    pub duration: f64,
    /// Fewest simultaneous instruments.
    pub min_instruments: usize,
    /// Most simultaneous instruments.
    pub max_instruments: usize,
    /// Each part's class is drawn with weight (its GM programmes)^this (a percussion class
    /// counts one). 0, every class equally often, is the music `eval` scores; above 0 a class
    /// that spans many sounds (piano's eight programmes, the synthesizers' sixteen) is heard
    /// more often, so that each of its sounds is not heard only a fraction as often as a
    /// one-programme class's single sound.
    pub programme_count_exponent: f64,
}

impl Default for ProceduralConfig {
    fn default() -> Self {
        Self {
            duration: 4.0,
            min_instruments: 1,
            max_instruments: 6,
            programme_count_exponent: 0.0,
        }
    }
}

/// What a part does in the texture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Melody,
    Chords,
    Arpeggio,
    Bass,
    Drums,
    Cymbals,
}

/// Playable MIDI range of a class, so parts sound like the instrument.
fn range_of(class: &InstrumentClass) -> (u8, u8) {
    match class.name.as_str() {
        "piano" => (28, 100),
        "mallet_percussion" => (53, 96),
        "organ" => (36, 96),
        "accordion" => (48, 89),
        "acoustic_guitar" | "electric_guitar" => (40, 84),
        "bass" => (28, 60),
        "violin" => (55, 100),
        "viola" => (48, 88),
        "cello" => (36, 76),
        "contrabass" => (28, 60),
        "harp" => (24, 100),
        "voice" => (48, 79),
        "trumpet" => (55, 84),
        "trombone" => (40, 72),
        "tuba" => (28, 58),
        "french_horn" => (41, 77),
        "saxophone" => (49, 81),
        "oboe" => (58, 91),
        "bassoon" => (34, 72),
        "clarinet" => (50, 91),
        "flute" => (60, 96),
        "synthesizer" => (36, 96),
        _ => (48, 84),
    }
}

const MAJOR: [u8; 7] = [0, 2, 4, 5, 7, 9, 11];
const MINOR: [u8; 7] = [0, 2, 3, 5, 7, 8, 10];

struct Harmony {
    root: u8,
    scale: [u8; 7],
}

impl Harmony {
    /// Scale notes within `[low, high]`.
    fn notes_in(&self, low: u8, high: u8) -> Vec<u8> {
        (low..=high)
            .filter(|k| self.scale.contains(&((k + 12 - self.root % 12) % 12)))
            .collect()
    }

    /// Pitch classes of the triad on scale degree `degree`.
    fn triad(&self, degree: usize) -> [u8; 3] {
        [0, 2, 4].map(|step| (self.root + self.scale[(degree + step) % 7]) % 12)
    }
}

/// Generates one piece for `classes` from `seed`.
pub fn generate(classes: &ClassList, config: &ProceduralConfig, seed: u64) -> Score {
    let mut rng = StdRng::seed_from_u64(seed);
    let harmony = Harmony {
        root: rng.random_range(0..12),
        scale: if rng.random_bool(0.5) { MAJOR } else { MINOR },
    };
    let beat = 60.0 / rng.random_range(70.0..160.0);
    let beats_per_bar = if rng.random_bool(0.25) { 3 } else { 4 };
    let density: f64 = rng.random_range(0.3..1.0);
    let count = rng.random_range(config.min_instruments..=config.max_instruments);
    // A chord per bar or half bar, shared by every part.
    let chord_len = beat
        * if rng.random_bool(0.5) {
            beats_per_bar as f64
        } else {
            2.0
        };
    let chord_count = (config.duration / chord_len).ceil() as usize + 1;
    let progression: Vec<usize> = (0..chord_count)
        .map(|_| [0, 3, 4, 5, 1, 2][rng.random_range(0..6)])
        .collect();
    let chord_at =
        |t: f64| harmony.triad(progression[((t / chord_len) as usize).min(chord_count - 1)]);

    let mut parts = Vec::new();
    for _ in 0..count {
        let class = draw_class(&mut rng, classes, config.programme_count_exponent);
        let (voice, role) = match class.percussion {
            Some(PercussionPart::Drums) => (Voice::Percussion, Role::Drums),
            Some(PercussionPart::Cymbals) => (Voice::Percussion, Role::Cymbals),
            None => {
                let program = class.programs[rng.random_range(0..class.programs.len())];
                let role = [
                    Role::Melody,
                    Role::Melody,
                    Role::Chords,
                    Role::Arpeggio,
                    Role::Bass,
                ][rng.random_range(0..5)];
                (Voice::Program(program), role)
            }
        };
        let (low, high) = range_of(class);
        let notes = match role {
            Role::Melody => melody(
                &mut rng,
                &harmony,
                low,
                high,
                beat,
                density,
                config.duration,
            ),
            Role::Chords => chords(&mut rng, &chord_at, low, high, chord_len, config.duration),
            Role::Arpeggio => arpeggio(&mut rng, &chord_at, low, high, beat, config.duration),
            Role::Bass => bass(&mut rng, &chord_at, low, high, beat, config.duration),
            Role::Drums => drums(&mut rng, beat, beats_per_bar, config.duration),
            Role::Cymbals => cymbals(&mut rng, beat, beats_per_bar, config.duration),
        };
        let mut part = Part::new(voice, notes);
        part.volume = rng.random_range(70..=127);
        part.pan = rng.random_range(20..=108);
        part.reverb = rng.random_range(0..=90);
        part.chorus = rng.random_range(0..=60);
        parts.push(part);
    }
    Score {
        parts,
        duration: config.duration,
    }
}

/// A class for one part, weighted by its programme count to the power `exponent`. With 0
/// it takes the same single draw as ever, so every seed keeps rendering the same music.
fn draw_class<'a>(rng: &mut StdRng, classes: &'a ClassList, exponent: f64) -> &'a InstrumentClass {
    let index = if exponent == 0.0 {
        rng.random_range(0..classes.len())
    } else {
        let weights = classes
            .iter()
            .map(|class| (class.programs.len().max(1) as f64).powf(exponent));
        WeightedIndex::new(weights)
            .expect("every class weighs at least one")
            .sample(rng)
    };
    classes.get(index).expect("index in range")
}

fn note(rng: &mut StdRng, onset: f64, duration: f64, key: u8) -> ScoreNote {
    ScoreNote {
        onset,
        duration,
        key,
        velocity: rng.random_range(50..=120),
    }
}

/// A stepwise line with rests, note lengths from sixteenths to half notes.
fn melody(
    rng: &mut StdRng,
    harmony: &Harmony,
    low: u8,
    high: u8,
    beat: f64,
    density: f64,
    end: f64,
) -> Vec<ScoreNote> {
    let pool = harmony.notes_in(low, high);
    let mut index = rng.random_range(pool.len() / 4..(3 * pool.len() / 4).max(pool.len() / 4 + 1));
    let mut t = rng.random_range(0.0..beat);
    let mut notes = Vec::new();
    while t < end {
        let length = beat * [0.25, 0.5, 0.5, 1.0, 1.0, 1.5, 2.0][rng.random_range(0..7)];
        if rng.random_bool(density) {
            let legato = rng.random_range(0.6..1.0);
            notes.push(note(rng, t, length * legato, pool[index]));
        }
        let step: i64 = [-2, -1, -1, 1, 1, 2, 0, 3, -3][rng.random_range(0..9)];
        index = (index as i64 + step).clamp(0, pool.len() as i64 - 1) as usize;
        t += length;
    }
    notes
}

/// The keys of pitch classes `chord` within `[low, high]`, lowest voicing first.
fn voicing(chord: [u8; 3], low: u8, high: u8, count: usize) -> Vec<u8> {
    (low..=high)
        .filter(|k| chord.contains(&(k % 12)))
        .take(count)
        .collect()
}

fn chords(
    rng: &mut StdRng,
    chord_at: &dyn Fn(f64) -> [u8; 3],
    low: u8,
    high: u8,
    chord_len: f64,
    end: f64,
) -> Vec<ScoreNote> {
    let mut notes = Vec::new();
    let mut t = 0.0;
    let bottom = rng.random_range(low..=low.max(high.saturating_sub(14)));
    while t < end {
        let size = rng.random_range(3..=4);
        for key in voicing(chord_at(t), bottom, high, size) {
            let length = chord_len * rng.random_range(0.7..1.0);
            notes.push(note(rng, t, length, key));
        }
        t += chord_len;
    }
    notes
}

fn arpeggio(
    rng: &mut StdRng,
    chord_at: &dyn Fn(f64) -> [u8; 3],
    low: u8,
    high: u8,
    beat: f64,
    end: f64,
) -> Vec<ScoreNote> {
    let step = beat * if rng.random_bool(0.5) { 0.5 } else { 0.25 };
    let bottom = rng.random_range(low..=low.max(high.saturating_sub(14)));
    let mut notes = Vec::new();
    let mut t = 0.0;
    let mut i = 0usize;
    while t < end {
        let keys = voicing(chord_at(t), bottom, high, 4);
        if !keys.is_empty() {
            let key = keys[i % keys.len()];
            let length = step * rng.random_range(0.8..1.6);
            notes.push(note(rng, t, length, key));
        }
        i += 1;
        t += step;
    }
    notes
}

fn bass(
    rng: &mut StdRng,
    chord_at: &dyn Fn(f64) -> [u8; 3],
    low: u8,
    high: u8,
    beat: f64,
    end: f64,
) -> Vec<ScoreNote> {
    let mut notes = Vec::new();
    let mut t = 0.0;
    let top = high.min(low + 18);
    while t < end {
        let chord = chord_at(t);
        let pc = if rng.random_bool(0.75) {
            chord[0]
        } else {
            chord[rng.random_range(1..3)]
        };
        if let Some(key) = (low..=top).find(|k| k % 12 == pc) {
            let length = beat * [1.0, 1.0, 0.5, 2.0][rng.random_range(0..4)];
            let held = length * rng.random_range(0.7..0.95);
            notes.push(note(rng, t, held, key));
            t += length;
        } else {
            t += beat;
        }
    }
    notes
}

/// Kick, snare, hi-hat and toms in a bar pattern (GM percussion keys, no cymbals).
fn drums(rng: &mut StdRng, beat: f64, beats_per_bar: usize, end: f64) -> Vec<ScoreNote> {
    let hat = [42, 44, 46][rng.random_range(0..3)];
    let mut notes = Vec::new();
    let mut t = 0.0;
    let mut eighth = 0usize;
    while t < end {
        let beat_index = (eighth / 2) % beats_per_bar;
        let on_beat = eighth.is_multiple_of(2);
        if rng.random_bool(0.85) {
            notes.push(note(rng, t, 0.1, hat));
        }
        if on_beat && (beat_index == 0 || (beat_index == 2 && rng.random_bool(0.7))) {
            notes.push(note(rng, t, 0.15, 36));
        }
        if on_beat && beat_index % 2 == 1 {
            let key = [38, 40][rng.random_range(0..2)];
            notes.push(note(rng, t, 0.15, key));
        }
        if rng.random_bool(0.05) {
            let key = [41, 45, 48, 50][rng.random_range(0..4)];
            notes.push(note(rng, t, 0.15, key));
        }
        eighth += 1;
        t += beat / 2.0;
    }
    notes
}

/// Ride on the beat or a crash at bar starts.
fn cymbals(rng: &mut StdRng, beat: f64, beats_per_bar: usize, end: f64) -> Vec<ScoreNote> {
    let ride = rng.random_bool(0.5);
    let mut notes = Vec::new();
    let mut t = 0.0;
    let mut index = 0usize;
    while t < end {
        if ride {
            let key = [51, 59][rng.random_range(0..2)];
            notes.push(note(rng, t, 0.3, key));
        } else if index.is_multiple_of(beats_per_bar) && rng.random_bool(0.7) {
            let key = [49, 57, 52, 55][rng.random_range(0..4)];
            notes.push(note(rng, t, 1.0, key));
        }
        index += 1;
        t += beat;
    }
    notes
}
