//! Instrument identity carried along a sounding pitch. The network names a decaying
//! instrument (piano, guitar, mallets, plucked bass) by its attack: a held chord keeps its
//! pitches long after the instrument's activity has faded. A note does not change instrument
//! while it sounds, so the instruments heard on a pitch during its attack stay with that
//! pitch until it stops, fading with the pitch's own activity. Causal and frame by frame, so
//! a file and a live stream share it.

use crate::classes::{ClassList, PITCH_COUNT};
use crate::timeline::FramePredictions;

/// Frames from the start of a sounding pitch (250 ms) during which its identity is learnt;
/// after them it is only carried. Learning over the whole note also carries the timbre
/// neighbours the network drifts to in a long sustain: on 200 pieces of held-out-font music
/// 25 frames gave instrument F1 0.300, against 0.288 for 10 frames, 0.301 for 40 and 0.309
/// for the whole note, and kept the training font's at 0.478 (0.464 for the whole note).
const ATTACK_FRAMES: u32 = 25;

/// A pitch sounds while its activity is at least this at the default decision threshold of
/// 0.5: lower than the decision, so a fading note keeps its identity until it is nearly gone.
/// The live threshold control scales it with the decision threshold (see
/// [`sounding_threshold_at`]).
pub const SOUNDING_THRESHOLD: f32 = 0.3;

/// The sounding threshold for a decision threshold: [`SOUNDING_THRESHOLD`] at the default 0.5,
/// scaled with it.
pub fn sounding_threshold_at(threshold: f32) -> f32 {
    threshold.clamp(0.05, 0.99) * (SOUNDING_THRESHOLD / crate::timeline::HEARD_THRESHOLD)
}

/// Per (class, pitch) identity of the notes sounding now; one per stream.
#[derive(Debug, Clone)]
pub struct IdentityCarry {
    pitched: Vec<bool>,
    sounding_threshold: f32,
    /// `[C][88]`: the strongest pianoroll value of the class on the pitch during the attack
    /// of the pitch's sounding note; zero while the pitch is silent.
    identity: Vec<f32>,
    /// `[88]`: frames the pitch has been sounding.
    sounding_frames: Vec<u32>,
}

impl IdentityCarry {
    /// A carry for `classes`; a pitch counts as sounding while its activity is at least
    /// `sounding_threshold` ([`SOUNDING_THRESHOLD`] unless a live control moved it).
    /// Unpitched classes carry nothing.
    pub fn new(classes: &ClassList, sounding_threshold: f32) -> Self {
        Self {
            pitched: classes.iter().map(|c| c.is_pitched()).collect(),
            sounding_threshold,
            identity: vec![0.0; classes.len() * PITCH_COUNT],
            sounding_frames: vec![0; PITCH_COUNT],
        }
    }

    /// Changes the sounding threshold from the next frame on.
    pub fn set_sounding_threshold(&mut self, threshold: f32) {
        self.sounding_threshold = threshold;
    }

    /// Raises one frame's pianoroll `[C][88]` cells to the identity of their pitch's
    /// sounding note, capped by the pitch's activity `[88]`, and each class's activity `[C]`
    /// to its strongest cell. Never lowers a value; allocates nothing.
    fn apply_frame(&mut self, instrument: &mut [f32], pitch: &[f32], pianoroll: &mut [f32]) {
        for (p, &pitch_p) in pitch.iter().enumerate() {
            let cells = (0..self.pitched.len()).map(|c| c * PITCH_COUNT + p);
            if pitch_p < self.sounding_threshold {
                // Only a pitch that was sounding has an identity to forget; most are silent.
                if self.sounding_frames[p] > 0 {
                    self.sounding_frames[p] = 0;
                    cells.for_each(|i| self.identity[i] = 0.0);
                }
                continue;
            }
            let in_attack = self.sounding_frames[p] < ATTACK_FRAMES;
            self.sounding_frames[p] += u32::from(in_attack);
            for (c, i) in cells.enumerate().filter(|&(c, _)| self.pitched[c]) {
                if in_attack {
                    self.identity[i] = self.identity[i].max(pianoroll[i]);
                }
                pianoroll[i] = pianoroll[i].max(self.identity[i].min(pitch_p));
                instrument[c] = instrument[c].max(pianoroll[i]);
            }
        }
    }

    /// Carries identities through every frame of `frames` in order (the next frames of the
    /// stream this carry follows). Never lowers a value; allocates nothing.
    pub fn apply(&mut self, frames: &mut FramePredictions) {
        let classes = self.pitched.len();
        let rows = frames
            .instrument
            .chunks_exact_mut(classes)
            .zip(frames.pitch.chunks_exact(PITCH_COUNT))
            .zip(frames.pianoroll.chunks_exact_mut(classes * PITCH_COUNT));
        for ((instrument, pitch), pianoroll) in rows {
            self.apply_frame(instrument, pitch, pianoroll);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The class's activity after the carry, for frames `(class activity, pitch activity)` of
    /// one class on one pitch (its pianoroll cell bounded by both, as the model's is).
    fn carried(classes: &ClassList, class: usize, frames: &[(f32, f32)]) -> Vec<f32> {
        let c = classes.len();
        let mut carry = IdentityCarry::new(classes, 0.3);
        frames
            .iter()
            .map(|&(class_p, pitch_p)| {
                let mut instrument = vec![0.0; c];
                instrument[class] = class_p;
                let mut pitch = vec![0.0; PITCH_COUNT];
                pitch[40] = pitch_p;
                let mut pianoroll = vec![0.0; c * PITCH_COUNT];
                pianoroll[class * PITCH_COUNT + 40] = class_p.min(pitch_p);
                carry.apply_frame(&mut instrument, &pitch, &mut pianoroll);
                instrument[class]
            })
            .collect()
    }

    #[test]
    fn an_attack_identity_lasts_while_its_pitch_sounds_and_fades_with_it() {
        let classes = ClassList::default_gm();
        let guitar = classes.index_of("acoustic_guitar").unwrap();
        let out = carried(
            &classes,
            guitar,
            &[(0.9, 0.8), (0.2, 0.7), (0.1, 0.4), (0.1, 0.2), (0.1, 0.8)],
        );
        assert_eq!(out, [0.9, 0.7, 0.4, 0.1, 0.1]);
    }

    #[test]
    fn a_class_first_heard_after_the_attack_is_not_carried() {
        let classes = ClassList::default_gm();
        let organ = classes.index_of("organ").unwrap();
        let mut frames = vec![(0.1, 0.8); ATTACK_FRAMES as usize];
        frames.extend([(0.9, 0.8), (0.1, 0.8)]);
        let out = carried(&classes, organ, &frames);
        assert_eq!(out[out.len() - 2..], [0.9, 0.1]);
    }

    #[test]
    fn unpitched_classes_carry_nothing() {
        let classes = ClassList::default_gm();
        let drums = classes.index_of("drums").unwrap();
        assert_eq!(
            carried(&classes, drums, &[(0.9, 0.8), (0.1, 0.8)]),
            [0.9, 0.1]
        );
    }
}
