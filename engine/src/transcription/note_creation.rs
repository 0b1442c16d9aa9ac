//! Notes from basic-pitch's posteriors, after the note-creation step its paper describes
//! (Bittner et al., ICASSP 2022, §3.3): notes start at peaks of the onset posterior, last while
//! the note posterior stays up (short dips are bridged), must have a minimum length, and the
//! energy no onset explains becomes notes too, grown both ways from its strongest frames.
//! Pure post-processing at the network's frame rate, testable without the network.

use crate::classes::PITCH_COUNT;

use super::posteriors::FRAME_THRESHOLD;
use crate::timeline::HEARD_THRESHOLD;

/// Thresholds and lengths of note creation, in network frames (see [`super::FRAME_RATE`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoteCreationConfig {
    /// An onset-posterior peak at or above this starts a note. basic-pitch's own default is
    /// 0.5; 0.6 was chosen on GeneralUser GS music (note F1 0.514 -> 0.544, a training source,
    /// not an evaluation set): fewer doubled starts at a small cost in recall.
    pub onset_threshold: f32,
    /// A note lasts while its note posterior is at or above this.
    pub frame_threshold: f32,
    /// Notes must be longer than this many frames (11 frames: basic-pitch's 127.7 ms).
    pub min_note_frames: usize,
    /// Frames below `frame_threshold` a note may bridge before it ends.
    pub energy_tolerance: usize,
    /// Also treat sharp rises of the note posterior as onsets, so a re-struck note whose onset
    /// posterior stays low still gets its own start.
    pub infer_onsets: bool,
    /// Turn note-posterior energy that no onset accounts for into notes.
    pub unmatched_energy_notes: bool,
}

impl NoteCreationConfig {
    /// The default thresholds scaled by `threshold / 0.5`: the live threshold control moves
    /// note creation with the instruments' decision threshold (0.5 gives the defaults).
    pub fn at_threshold(threshold: f32) -> Self {
        let scale = threshold.clamp(0.05, 0.99) / HEARD_THRESHOLD;
        let default = Self::default();
        Self {
            onset_threshold: (default.onset_threshold * scale).min(0.99),
            frame_threshold: (default.frame_threshold * scale).min(0.99),
            ..default
        }
    }
}

impl Default for NoteCreationConfig {
    fn default() -> Self {
        Self {
            onset_threshold: 0.6,
            frame_threshold: FRAME_THRESHOLD,
            min_note_frames: 11,
            energy_tolerance: 11,
            infer_onsets: true,
            unmatched_energy_notes: true,
        }
    }
}

/// A note found in the posteriors, in network frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PitchNote {
    /// First frame.
    pub start: usize,
    /// Where between frames the note starts: the onset peak refined by a parabola through it
    /// and its neighbours (a plateau of two equal frames puts the onset between them), or
    /// `start` for a note grown from unclaimed energy.
    pub onset: f64,
    /// Frame after the last.
    pub end: usize,
    /// Piano key index, 0 = MIDI 21.
    pub key: usize,
    /// Mean note posterior over the note, in [0, 1].
    pub amplitude: f32,
}

/// How much a key's note posterior rose into a frame: the smaller of its rises over the last
/// one and two frames, never negative (a sharp rise, not a slow swell, suggests a strike).
pub(super) fn posterior_rise(now: f32, one_back: f32, two_back: f32) -> f32 {
    (now - one_back).min(now - two_back).max(0.0)
}

/// The onset posterior with an inferred onset: the rise, scaled so that the largest rise meets
/// the largest onset posterior, where that is higher.
pub(super) fn with_inferred_onset(onset: f32, rise: f32, onset_peak: f32, rise_peak: f32) -> f32 {
    let scale = if rise_peak > 0.0 {
        onset_peak / rise_peak
    } else {
        0.0
    };
    onset.max(rise * scale)
}

/// The onset posterior with inferred onsets added, scaled by the peaks of the whole signal.
fn onsets_with_inferred(note: &[f32], onset: &[f32], frames: usize) -> Vec<f32> {
    let mut rise = vec![0.0f32; frames * PITCH_COUNT];
    for t in 2..frames {
        for k in 0..PITCH_COUNT {
            let at = |t: usize| note[t * PITCH_COUNT + k];
            rise[t * PITCH_COUNT + k] = posterior_rise(at(t), at(t - 1), at(t - 2));
        }
    }
    let peak = |v: &[f32]| v.iter().copied().fold(0.0f32, f32::max);
    let (onset_peak, rise_peak) = (peak(onset), peak(&rise));
    onset
        .iter()
        .zip(&rise)
        .map(|(&o, &r)| with_inferred_onset(o, r, onset_peak, rise_peak))
        .collect()
}

/// Zeroes `key` and its neighbouring keys at frame `t`: energy a note has claimed.
fn claim(remaining: &mut [f32], t: usize, key: usize) {
    let row = &mut remaining[t * PITCH_COUNT..(t + 1) * PITCH_COUNT];
    row[key] = 0.0;
    if key > 0 {
        row[key - 1] = 0.0;
    }
    if key + 1 < PITCH_COUNT {
        row[key + 1] = 0.0;
    }
}

fn mean_posterior(note: &[f32], start: usize, end: usize, key: usize) -> f32 {
    let sum: f32 = (start..end).map(|t| note[t * PITCH_COUNT + key]).sum();
    sum / (end - start).max(1) as f32
}

/// Notes of `frames` frames of `[frames][88]` note and onset posteriors, sorted by start then key.
pub fn create_notes(
    note: &[f32],
    onset: &[f32],
    frames: usize,
    config: &NoteCreationConfig,
) -> Vec<PitchNote> {
    debug_assert_eq!(note.len(), frames * PITCH_COUNT);
    debug_assert_eq!(onset.len(), frames * PITCH_COUNT);
    if frames < 3 {
        return Vec::new();
    }
    let onsets = if config.infer_onsets {
        onsets_with_inferred(note, onset, frames)
    } else {
        onset.to_vec()
    };
    let at = |v: &[f32], t: usize, k: usize| v[t * PITCH_COUNT + k];
    let mut peaks: Vec<(usize, usize)> = (1..frames - 1)
        .flat_map(|t| (0..PITCH_COUNT).map(move |k| (t, k)))
        .filter(|&(t, k)| {
            let o = at(&onsets, t, k);
            o >= config.onset_threshold && o > at(&onsets, t - 1, k) && o > at(&onsets, t + 1, k)
        })
        .collect();
    // Latest onsets first, so a re-struck note ends where the next strike of its key begins.
    peaks.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));

    let mut remaining = note.to_vec();
    let mut notes = Vec::new();
    for (start, key) in peaks {
        let mut t = start + 1;
        let mut quiet = 0;
        while t < frames - 1 && quiet < config.energy_tolerance {
            if at(&remaining, t, key) < config.frame_threshold {
                quiet += 1;
            } else {
                quiet = 0;
            }
            t += 1;
        }
        let end = t - quiet;
        if end - start <= config.min_note_frames {
            continue;
        }
        for f in start..end {
            claim(&mut remaining, f, key);
        }
        notes.push(PitchNote {
            start,
            onset: start as f64 + peak_offset(&onsets, start, key),
            end,
            key,
            amplitude: mean_posterior(note, start, end, key),
        });
    }

    if config.unmatched_energy_notes {
        notes.extend(unmatched_energy_notes(note, &mut remaining, frames, config));
    }
    notes.sort_by(|a, b| a.start.cmp(&b.start).then(a.key.cmp(&b.key)));
    notes
}

/// Notes grown from the strongest unclaimed note-posterior frames, strongest first: each
/// grows forwards and backwards while the posterior stays up (bridging short dips) and
/// claims what it covers, so a sustained note whose onset was missed is still found.
fn unmatched_energy_notes(
    note: &[f32],
    remaining: &mut [f32],
    frames: usize,
    config: &NoteCreationConfig,
) -> Vec<PitchNote> {
    // Cells only ever drop to zero, so the strongest unclaimed cell is the first one in
    // descending order that has not been claimed since: one sort instead of a scan per note.
    let mut seeds: Vec<usize> = (0..remaining.len())
        .filter(|&i| remaining[i] > config.frame_threshold)
        .collect();
    seeds.sort_by(|&a, &b| remaining[b].total_cmp(&remaining[a]).then(a.cmp(&b)));
    let mut notes = Vec::new();
    for seed in seeds {
        if remaining[seed] <= config.frame_threshold {
            continue;
        }
        let (middle, key) = (seed / PITCH_COUNT, seed % PITCH_COUNT);
        remaining[seed] = 0.0;
        let mut grow = |range: &mut dyn Iterator<Item = usize>| {
            let mut quiet = 0;
            let mut last = middle;
            for t in range {
                if quiet >= config.energy_tolerance {
                    break;
                }
                if remaining[t * PITCH_COUNT + key] < config.frame_threshold {
                    quiet += 1;
                } else {
                    quiet = 0;
                }
                claim(remaining, t, key);
                last = t;
            }
            (last, quiet)
        };
        let (last, quiet) = grow(&mut (middle + 1..frames - 1));
        // One past the last frame still up (the onset notes above end the same way).
        let end = if last == middle {
            middle + 1
        } else {
            last - quiet + 1
        };
        let (first, quiet) = grow(&mut (1..middle).rev());
        let start = if first == middle {
            middle
        } else {
            first + quiet
        };
        if end <= start || end - start <= config.min_note_frames {
            continue;
        }
        notes.push(PitchNote {
            start,
            onset: start as f64,
            end,
            key,
            amplitude: mean_posterior(note, start, end, key),
        });
    }
    notes
}

/// Offset in frames, within ±0.5, of the vertex of the parabola through the onset posterior
/// at `t - 1`, `t` and `t + 1` (a peak, so `t` is interior).
fn peak_offset(onsets: &[f32], t: usize, key: usize) -> f64 {
    let at = |t: usize| f64::from(onsets[t * PITCH_COUNT + key]);
    let (before, peak, after) = (at(t - 1), at(t), at(t + 1));
    let curvature = before - 2.0 * peak + after;
    if curvature >= 0.0 {
        return 0.0;
    }
    (0.5 * (before - after) / curvature).clamp(-0.5, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Posteriors of `frames` frames with `key` held over `on` and an onset spike at its start.
    fn posteriors(
        frames: usize,
        notes: &[(usize, std::ops::Range<usize>, bool)],
    ) -> (Vec<f32>, Vec<f32>) {
        let mut note = vec![0.05; frames * PITCH_COUNT];
        let mut onset = vec![0.0; frames * PITCH_COUNT];
        for (key, on, with_onset) in notes {
            for t in on.clone() {
                note[t * PITCH_COUNT + key] = 0.8;
            }
            if *with_onset {
                onset[on.start * PITCH_COUNT + key] = 0.9;
            }
        }
        (note, onset)
    }

    #[test]
    fn an_onset_starts_a_note_that_lasts_while_the_posterior_stays_up() {
        let (note, onset) = posteriors(100, &[(39, 10..60, true)]);
        let notes = create_notes(&note, &onset, 100, &NoteCreationConfig::default());
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!((notes[0].start, notes[0].end, notes[0].key), (10, 60, 39));
        assert!((notes[0].amplitude - 0.8).abs() < 1e-6);
    }

    #[test]
    fn a_restruck_key_makes_two_notes() {
        let (note, onset) = posteriors(120, &[(40, 10..50, true), (40, 50..100, true)]);
        let notes = create_notes(&note, &onset, 120, &NoteCreationConfig::default());
        let spans: Vec<_> = notes.iter().map(|n| (n.start, n.end)).collect();
        assert_eq!(spans, vec![(10, 50), (50, 100)]);
    }

    #[test]
    fn energy_without_an_onset_still_becomes_a_note_and_short_blips_do_not() {
        let (note, onset) = posteriors(200, &[(50, 20..80, false), (60, 100..105, false)]);
        let notes = create_notes(&note, &onset, 200, &NoteCreationConfig::default());
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!((notes[0].start, notes[0].end, notes[0].key), (20, 80, 50));
    }

    #[test]
    fn a_short_dip_is_bridged_and_a_long_gap_ends_the_note() {
        let (mut note, onset) = posteriors(200, &[(30, 10..120, true)]);
        for t in 40..45 {
            note[t * PITCH_COUNT + 30] = 0.1; // 5 frames: bridged
        }
        for t in 70..90 {
            note[t * PITCH_COUNT + 30] = 0.1; // 20 frames: a gap
        }
        // Without inferred onsets: the rise after each dip would count as a new strike.
        let config = NoteCreationConfig {
            infer_onsets: false,
            unmatched_energy_notes: false,
            ..NoteCreationConfig::default()
        };
        let notes = create_notes(&note, &onset, 200, &config);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!((notes[0].start, notes[0].end), (10, 70));
    }
}
