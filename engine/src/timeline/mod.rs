//! Windowing and stitching: the model sees 1 s windows; overlapping window outputs are
//! blended into one continuous frame timeline. Files and the live stream share this code.

pub mod carry;
pub mod notes;

use crate::classes::{ClassList, PITCH_COUNT};
use crate::features::FRAMES_PER_SECOND;

/// Frames per model window: 1 s at 100 frames/s.
pub const WINDOW_FRAMES: usize = 100;

/// Frames at each window edge whose outputs the convolutions computed partly from padding;
/// they get (almost) no weight where an overlapping window saw them in its interior.
const EDGE_MARGIN_FRAMES: f32 = 10.0;
/// Frames over which a window's weight then ramps up to full, so neighbours cross-fade.
const EDGE_RAMP_FRAMES: f32 = 10.0;
/// Weight floor: frames only one window covers (the ends of a signal) still get its value.
const MIN_WEIGHT: f32 = 1e-3;
/// Frames at least this far before the end of the newest window have had their full-weight
/// contribution: a live stream publishes them then (later windows see them only at their edge).
pub const SETTLE_FRAMES: usize = (EDGE_MARGIN_FRAMES + EDGE_RAMP_FRAMES) as usize;

/// Model outputs for one window, frame-major, probabilities in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct WindowPrediction {
    /// `[frames][classes]`.
    pub instrument: Vec<f32>,
    /// `[frames][88]`.
    pub pitch: Vec<f32>,
    /// `[frames][classes][88]`.
    pub pianoroll: Vec<f32>,
    /// `[classes]`, attention-pooled over the window.
    pub clip: Vec<f32>,
}

impl WindowPrediction {
    /// Caps every pianoroll cell at its class's activity and its pitch's activity (the Fréchet
    /// bound: P(class and pitch) ≤ min(P(class), P(pitch))). The pianoroll head, trained with
    /// heavily weighted positives, also lights up a played pitch in timbre neighbours of the
    /// instrument playing it; the instrument head rules those out, and the bound keeps
    /// their notes from flickering in and out near the note threshold.
    pub fn bound_pianoroll_by_marginals(&mut self) {
        let classes = self.instrument.len() / WINDOW_FRAMES;
        for t in 0..WINDOW_FRAMES {
            let instrument = &self.instrument[t * classes..(t + 1) * classes];
            let pitch = &self.pitch[t * PITCH_COUNT..(t + 1) * PITCH_COUNT];
            let frame =
                &mut self.pianoroll[t * classes * PITCH_COUNT..(t + 1) * classes * PITCH_COUNT];
            for (row, &class_p) in frame.chunks_exact_mut(PITCH_COUNT).zip(instrument) {
                for (cell, &pitch_p) in row.iter_mut().zip(pitch) {
                    *cell = cell.min(class_p).min(pitch_p);
                }
            }
        }
    }
}

/// Start frames of the windows that cover `total_frames` with the given hop: every `hop`
/// frames, plus one window aligned to the end so the tail is covered without padding.
pub fn window_starts(total_frames: usize, hop_frames: usize) -> Vec<usize> {
    let hop = hop_frames.max(1);
    if total_frames <= WINDOW_FRAMES {
        return vec![0];
    }
    let last = total_frames - WINDOW_FRAMES;
    let mut starts: Vec<usize> = (0..last).step_by(hop).collect();
    starts.push(last);
    starts
}

/// Weight of frame `i` of a window in the blend. With a hop of at most 60 frames every
/// frame away from the signal's ends is covered at full weight by some window's interior.
fn blend_weight(i: usize) -> f32 {
    let to_edge = i.min(WINDOW_FRAMES - 1 - i) as f32 + 0.5;
    ((to_edge - EDGE_MARGIN_FRAMES) / EDGE_RAMP_FRAMES).clamp(MIN_WEIGHT, 1.0)
}

/// Per-frame predictions for a whole signal, frame-major, probabilities in [0, 1].
#[derive(Debug, Clone)]
pub struct FramePredictions {
    /// Meaning of every class axis.
    pub classes: ClassList,
    /// Number of frames `T` (10 ms each).
    pub frames: usize,
    /// `[T][C]`.
    pub instrument: Vec<f32>,
    /// `[T][88]`.
    pub pitch: Vec<f32>,
    /// `[T][C][88]`.
    pub pianoroll: Vec<f32>,
    /// `[C]`: window clip scores averaged over the signal.
    pub clip: Vec<f32>,
}

impl FramePredictions {
    /// Instrument probabilities of frame `t`.
    pub fn instrument_frame(&self, t: usize) -> &[f32] {
        let c = self.classes.len();
        &self.instrument[t * c..(t + 1) * c]
    }

    /// Pitch probabilities of frame `t` (MIDI 21..=108).
    pub fn pitch_frame(&self, t: usize) -> &[f32] {
        &self.pitch[t * PITCH_COUNT..(t + 1) * PITCH_COUNT]
    }

    /// Pianoroll of frame `t`, `[C][88]`.
    pub fn pianoroll_frame(&self, t: usize) -> &[f32] {
        let n = self.classes.len() * PITCH_COUNT;
        &self.pianoroll[t * n..(t + 1) * n]
    }

    /// Seconds each class is active (at or above `threshold`) over the whole signal: what a
    /// file summary names, by the same rule as the live view's "heard" list.
    pub fn heard_seconds(&self, threshold: f32) -> Vec<f32> {
        let mut heard = vec![0; self.classes.len()];
        add_heard_frames(&mut heard, &self.instrument, threshold);
        heard.into_iter().map(frames_to_seconds).collect()
    }
}

/// Activity at or above which an instrument counts as heard in a frame: the decision threshold
/// of every summary (`analyze`'s line, the live views' "heard" list, the saved summary) and of
/// evaluation. The plugin's threshold parameter starts here.
pub const HEARD_THRESHOLD: f32 = 0.5;

/// Seconds an instrument must be heard, in total, to be named in a summary: short enough for
/// a fill, long enough that a stray frame names nothing.
pub const HEARD_MIN_SECONDS: f32 = 0.5;

/// Adds to `heard[c]` the frames in which class `c` of the frame-major `[T][C]` instrument
/// activity `rows` is at or above `threshold`; a live stream calls it once per batch of frames.
/// Whole frames are counted, not 10 ms steps summed in f32, so 50 frames are exactly the 0.5 s
/// a "heard" rule compares with.
pub fn add_heard_frames(heard: &mut [u32], rows: &[f32], threshold: f32) {
    for row in rows.chunks_exact(heard.len().max(1)) {
        for (frames, &p) in heard.iter_mut().zip(row) {
            if p >= threshold {
                *frames += 1;
            }
        }
    }
}

/// Seconds that `frames` feature frames span.
pub fn frames_to_seconds(frames: u32) -> f32 {
    frames as f32 / FRAMES_PER_SECOND as f32
}

/// Accumulates overlapping window predictions into a weighted average per frame. Frames
/// before `origin` have been handed out and are no longer kept, so a live stream runs in
/// bounded memory.
#[derive(Debug, Clone)]
pub struct FrameTimeline {
    classes: ClassList,
    origin: usize,
    instrument: Vec<f32>,
    pitch: Vec<f32>,
    pianoroll: Vec<f32>,
    weight: Vec<f32>,
    clip_sum: Vec<f32>,
    windows: usize,
}

impl FrameTimeline {
    /// An empty timeline for a model with `classes`.
    pub fn new(classes: ClassList) -> Self {
        let c = classes.len();
        Self {
            classes,
            origin: 0,
            instrument: Vec::new(),
            pitch: Vec::new(),
            pianoroll: Vec::new(),
            weight: Vec::new(),
            clip_sum: vec![0.0; c],
            windows: 0,
        }
    }

    /// The first frame not yet handed out.
    pub fn origin(&self) -> usize {
        self.origin
    }

    fn grow_to(&mut self, end: usize) {
        let frames = end.saturating_sub(self.origin);
        if frames > self.weight.len() {
            let c = self.classes.len();
            self.weight.resize(frames, 0.0);
            self.instrument.resize(frames * c, 0.0);
            self.pitch.resize(frames * PITCH_COUNT, 0.0);
            self.pianoroll.resize(frames * c * PITCH_COUNT, 0.0);
        }
    }

    /// Blends in a window whose first frame is frame `start` of the timeline; frames of it
    /// that were already handed out are skipped.
    pub fn add_window(&mut self, start: usize, window: &WindowPrediction) {
        let c = self.classes.len();
        let frames = window.pitch.len() / PITCH_COUNT;
        self.grow_to(start + frames);
        let skip = self.origin.saturating_sub(start);
        let first = start + skip - self.origin;
        let blend = |dst: &mut [f32], src: &[f32], per_frame: usize| {
            for (i, (d, s)) in dst[first * per_frame..]
                .chunks_exact_mut(per_frame)
                .zip(src.chunks_exact(per_frame).skip(skip))
                .enumerate()
            {
                let w = blend_weight(skip + i);
                d.iter_mut().zip(s).for_each(|(d, s)| *d += w * s);
            }
        };
        blend(&mut self.instrument, &window.instrument, c);
        blend(&mut self.pitch, &window.pitch, PITCH_COUNT);
        blend(&mut self.pianoroll, &window.pianoroll, c * PITCH_COUNT);
        for (i, w) in self.weight[first..first + frames - skip.min(frames)]
            .iter_mut()
            .enumerate()
        {
            *w += blend_weight(skip + i);
        }
        self.clip_sum
            .iter_mut()
            .zip(&window.clip)
            .for_each(|(s, v)| *s += v);
        self.windows += 1;
    }

    /// Hands out the blended frames from the origin up to `end` (zeros where no window
    /// reached) and forgets them; `clip` averages the windows added since the last call.
    pub fn take_frames_before(&mut self, end: usize) -> FramePredictions {
        self.grow_to(end);
        let frames = end.saturating_sub(self.origin);
        let c = self.classes.len();
        let weight: Vec<f32> = self.weight.drain(..frames).collect();
        let take = |values: &mut Vec<f32>, per_frame: usize| -> Vec<f32> {
            let mut taken: Vec<f32> = values.drain(..frames * per_frame).collect();
            for (row, &w) in taken.chunks_exact_mut(per_frame).zip(&weight) {
                if w > 0.0 {
                    row.iter_mut().for_each(|v| *v /= w);
                }
            }
            taken
        };
        let instrument = take(&mut self.instrument, c);
        let pitch = take(&mut self.pitch, PITCH_COUNT);
        let pianoroll = take(&mut self.pianoroll, c * PITCH_COUNT);
        let windows = self.windows.max(1) as f32;
        let clip = self.clip_sum.iter().map(|s| s / windows).collect();
        self.clip_sum.iter_mut().for_each(|s| *s = 0.0);
        self.windows = 0;
        self.origin += frames;
        FramePredictions {
            classes: self.classes.clone(),
            frames,
            instrument,
            pitch,
            pianoroll,
            clip,
        }
    }

    /// The blended predictions of a whole signal, cut or padded (with zeros) to exactly
    /// `frames` frames.
    pub fn into_predictions(mut self, frames: usize) -> FramePredictions {
        self.take_frames_before(frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constant_window(classes: usize, value: f32) -> WindowPrediction {
        WindowPrediction {
            instrument: vec![value; WINDOW_FRAMES * classes],
            pitch: vec![value; WINDOW_FRAMES * PITCH_COUNT],
            pianoroll: vec![value; WINDOW_FRAMES * classes * PITCH_COUNT],
            clip: vec![value; classes],
        }
    }

    #[test]
    fn a_pianoroll_cell_never_exceeds_its_class_or_its_pitch() {
        let classes = ClassList::default_gm().len();
        let mut window = constant_window(classes, 0.9);
        window.instrument[3 * classes + 1] = 0.2;
        window.pitch[3 * PITCH_COUNT + 40] = 0.6;
        window.bound_pianoroll_by_marginals();
        let cell =
            |t: usize, c: usize, p: usize| window.pianoroll[(t * classes + c) * PITCH_COUNT + p];
        assert_eq!(cell(3, 1, 40), 0.2);
        assert_eq!(cell(3, 1, 41), 0.2);
        assert_eq!(cell(3, 0, 40), 0.6);
        assert_eq!(cell(3, 0, 41), 0.9);
        assert_eq!(cell(4, 1, 40), 0.9);
    }

    #[test]
    fn fifty_active_frames_are_exactly_half_a_second_heard() {
        let classes = ClassList::default_gm();
        let mut timeline = FrameTimeline::new(classes.clone());
        timeline.add_window(0, &constant_window(classes.len(), 0.0));
        let mut p = timeline.into_predictions(WINDOW_FRAMES);
        let c = classes.len();
        for t in 10..60 {
            p.instrument[t * c] = 0.5;
        }
        let heard = p.heard_seconds(0.5);
        assert_eq!(heard[0], 0.5);
        assert!(heard[1..].iter().all(|&s| s == 0.0));
    }

    #[test]
    fn windows_cover_every_frame_and_end_on_the_last() {
        assert_eq!(window_starts(40, 10), vec![0]);
        assert_eq!(window_starts(250, 50), vec![0, 50, 100, 150]);
        assert_eq!(window_starts(260, 50), vec![0, 50, 100, 150, 160]);
    }

    #[test]
    fn equal_windows_stitch_to_the_same_constant() {
        let classes = ClassList::default_gm();
        let mut timeline = FrameTimeline::new(classes.clone());
        for start in window_starts(437, 30) {
            timeline.add_window(start, &constant_window(classes.len(), 0.25));
        }
        let p = timeline.into_predictions(437);
        assert_eq!(p.frames, 437);
        for v in p
            .instrument
            .iter()
            .chain(&p.pitch)
            .chain(&p.pianoroll)
            .chain(&p.clip)
        {
            assert!((v - 0.25).abs() < 1e-6, "{v}");
        }
    }

    #[test]
    fn frames_near_a_window_edge_defer_to_the_overlapping_interior() {
        let classes = ClassList::default_gm();
        let mut timeline = FrameTimeline::new(classes.clone());
        timeline.add_window(0, &constant_window(classes.len(), 0.0));
        timeline.add_window(50, &constant_window(classes.len(), 1.0));
        let p = timeline.into_predictions(150);
        let c = classes.len();
        // Frame 52 is at the second window's edge and in the first one's interior.
        assert!(p.instrument[52 * c] < 0.01);
        // Frame 97 is at the first window's edge and in the second one's interior.
        assert!(p.instrument[97 * c] > 0.99);
    }

    #[test]
    fn handing_out_frames_in_pieces_gives_the_same_timeline() {
        let classes = ClassList::default_gm();
        let c = classes.len();
        let window = |k: usize| constant_window(c, (k % 7) as f32 / 7.0);
        let starts: Vec<usize> = (0..12).map(|k| k * 70).collect();
        let mut whole = FrameTimeline::new(classes.clone());
        for (k, &s) in starts.iter().enumerate() {
            whole.add_window(s, &window(k));
        }
        let whole = whole.into_predictions(starts[11] + WINDOW_FRAMES);
        let mut live = FrameTimeline::new(classes.clone());
        let mut pieces = Vec::new();
        for (k, &s) in starts.iter().enumerate() {
            live.add_window(s, &window(k));
            pieces.extend(
                live.take_frames_before(s + WINDOW_FRAMES - SETTLE_FRAMES)
                    .instrument,
            );
        }
        pieces.extend(
            live.take_frames_before(starts[11] + WINDOW_FRAMES)
                .instrument,
        );
        assert_eq!(pieces.len(), whole.instrument.len());
        // A frame handed out early misses only later windows' edge frames (weight <= 1e-3
        // each against a full weight of 1).
        for (a, b) in pieces.iter().zip(&whole.instrument) {
            assert!((a - b).abs() < 0.01, "{a} vs {b}");
        }
    }
}
