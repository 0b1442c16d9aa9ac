//! Which instruments are playing, with hysteresis, from the live activity history: the
//! lines `listen` and `play` print as instruments start and stop.

use timbrescope_engine::features::FRAMES_PER_SECOND;
use timbrescope_engine::live::snapshot::LiveSnapshot;

/// Frames over which an instrument's entry is judged (200 ms).
const ENTRY_FRAMES: usize = 20;
/// Frames of silence after which an instrument counts as stopped (1 s).
const EXIT_FRAMES: usize = 100;

/// Which instruments are playing, with hysteresis, from the activity history.
#[derive(Default)]
pub struct Presence {
    playing: Vec<bool>,
    reported_until: usize,
}

impl Presence {
    /// Lines for instruments that started or stopped in frames not yet looked at.
    pub fn update(&mut self, snapshot: &LiveSnapshot, threshold: f32, out: &mut Vec<String>) {
        let c = snapshot.classes.len();
        if c == 0 {
            return;
        }
        self.playing.resize(c, false);
        let names = snapshot.classes.names();
        let end = snapshot.first_frame + snapshot.rows();
        let start = self.reported_until.max(snapshot.first_frame);
        for frame in start..end {
            for (class, playing) in self.playing.iter_mut().enumerate() {
                let window = |len: usize| {
                    let first = frame.saturating_sub(len - 1).max(snapshot.first_frame);
                    (first..=frame)
                        .map(move |f| snapshot.instrument[(f - snapshot.first_frame) * c + class])
                };
                let seconds = frame as f64 / FRAMES_PER_SECOND as f64;
                if !*playing
                    && window(ENTRY_FRAMES).filter(|&p| p >= threshold).count() * 2 >= ENTRY_FRAMES
                {
                    *playing = true;
                    out.push(format!("{seconds:8.2} s  + {}", names[class]));
                } else if *playing
                    && frame >= EXIT_FRAMES
                    && window(EXIT_FRAMES).all(|p| p < threshold * 0.6)
                {
                    *playing = false;
                    out.push(format!("{seconds:8.2} s  - {}", names[class]));
                }
            }
        }
        self.reported_until = end;
    }
}
