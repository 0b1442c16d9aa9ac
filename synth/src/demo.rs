//! The demo arrangement: a short ensemble (piano chords, violin melody, bass, drums) used for
//! the bundled demo file, the tests and the benchmarks, so all of them hear the same music.

use crate::score::{Part, Score, ScoreNote, Voice};

fn held(key: u8, onset: f64, duration: f64, velocity: u8) -> ScoreNote {
    ScoreNote {
        onset,
        duration,
        key,
        velocity,
    }
}

/// Four bars of I–vi–IV–V in C at 60 BPM, repeated `repeats` times (4 s each).
pub fn demo_score(repeats: usize) -> Score {
    let chords = [[60, 64, 67], [57, 60, 64], [53, 57, 60], [55, 59, 62]];
    let melody = [
        (76, 0.0, 0.5),
        (77, 0.5, 0.5),
        (79, 1.0, 1.0),
        (81, 2.0, 0.5),
        (79, 2.5, 0.5),
        (74, 3.0, 0.9),
    ];
    let bass_line = [36, 33, 29, 31];
    let (mut piano, mut violin, mut bass, mut drums) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in 0..repeats {
        let start = 4.0 * r as f64;
        for (bar, chord) in chords.iter().enumerate() {
            let t = start + bar as f64;
            piano.extend(chord.iter().map(|&k| held(k, t, 0.9, 85)));
            bass.push(held(bass_line[bar], t, 0.9, 100));
            drums.push(held(36, t, 0.1, 110));
            drums.push(held(38, t + 0.5, 0.1, 100));
        }
        violin.extend(melody.iter().map(|&(k, t, d)| held(k, start + t, d, 100)));
    }
    Score {
        parts: vec![
            Part::new(Voice::Program(0), piano),
            Part::new(Voice::Program(40), violin),
            Part::new(Voice::Program(33), bass),
            Part::new(Voice::Percussion, drums),
        ],
        duration: 4.0 * repeats as f64,
    }
}
