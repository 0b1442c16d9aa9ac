//! File playback for the standalone app's `play` mode: the file takes the place of the input
//! and goes to the output, so the editor analyses what the performer hears. Plugins in a DAW
//! never have a file set and pass their input through.

use std::sync::{Arc, OnceLock};

use timbrescope_engine::input::audio_file::MonoAudio;
use timbrescope_engine::input::resample::{ResampleError, resample};

use crate::shared_view::SharedView;

static SOURCE: OnceLock<MonoAudio> = OnceLock::new();
static PLAYING_VIEW: OnceLock<Arc<SharedView>> = OnceLock::new();

/// The results of the instance that plays the file, once it has started: the standalone app
/// reads them to print what it hears.
pub fn playing_view() -> Option<Arc<SharedView>> {
    PLAYING_VIEW.get().cloned()
}

/// Sets the file to play, once per process, before the standalone wrapper starts.
pub fn play_file(audio: MonoAudio) -> bool {
    SOURCE.set(audio).is_ok()
}

/// The file resampled to the stream's rate, and the play position.
pub struct FilePlayer {
    samples: Vec<f32>,
    position: usize,
}

impl FilePlayer {
    /// The player for a stream at `rate`, when a file was set; `view` is the playing
    /// instance's results, published for [`playing_view`].
    pub fn for_rate(rate: u32, view: &Arc<SharedView>) -> Option<Result<Self, ResampleError>> {
        let audio = SOURCE.get()?;
        let _ = PLAYING_VIEW.set(view.clone());
        Some(
            resample(&audio.samples, audio.sample_rate, rate).map(|samples| Self {
                samples,
                position: 0,
            }),
        )
    }

    /// Writes the next block of the file into every channel (silence after its end).
    pub fn fill(&mut self, channels: &mut [&mut [f32]]) {
        let Some(len) = channels.first().map(|c| c.len()) else {
            return;
        };
        let end = (self.position + len).min(self.samples.len());
        let from_file = end.saturating_sub(self.position);
        for channel in channels.iter_mut() {
            channel[..from_file].copy_from_slice(&self.samples[self.position..end]);
            channel[from_file..].fill(0.0);
        }
        self.position = end;
    }
}
