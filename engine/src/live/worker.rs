//! The analysis worker's life: a dedicated thread that owns the model and the compute device,
//! started with its queues and stopped (joined) when the host deactivates. The audio side
//! only downmixes into [`AudioFeed`]; the thread runs the loop of [`crate::live::job`] and
//! publishes [`crate::live::snapshot::LiveSnapshot`]s. A panic in the worker stays in the
//! worker: the audio keeps flowing and the snapshot says what happened.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use ringbuf::HeapRb;
use ringbuf::traits::Split;

use crate::live::controls::WorkerControls;
use crate::live::feed::{AudioFeed, StreamCounters};
use crate::live::job::WorkerJob;
use crate::live::midi::MidiMessage;
use crate::live::snapshot::SnapshotWriter;

/// Seconds of audio the queue holds; the worker drops the oldest beyond half of it.
const QUEUE_SECONDS: f64 = 4.0;
/// MIDI messages that can wait for the audio thread.
const MIDI_QUEUE: usize = 4096;

/// A running worker thread; [`Worker::stop`] joins it and gives the results writer back.
pub struct Worker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<SnapshotWriter>>,
}

impl Worker {
    /// Starts a worker for a stream at `sample_rate`; returns it and the audio thread's feed.
    pub fn start(
        sample_rate: u32,
        controls: Arc<WorkerControls>,
        writer: SnapshotWriter,
    ) -> std::io::Result<(Self, AudioFeed)> {
        let capacity = (f64::from(sample_rate) * QUEUE_SECONDS) as usize;
        let (audio_in, audio_out) = HeapRb::<f32>::new(capacity.max(1024)).split();
        let (midi_in, midi_out) = HeapRb::<MidiMessage>::new(MIDI_QUEUE).split();
        let counters = Arc::new(StreamCounters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let job = WorkerJob::new(
            sample_rate,
            controls,
            audio_out,
            midi_in,
            counters.clone(),
            stop.clone(),
        );
        let thread = std::thread::Builder::new()
            .name("timbrescope-analysis".into())
            .spawn(move || job.run(writer))?;
        Ok((
            Self {
                stop,
                thread: Some(thread),
            },
            AudioFeed::new(audio_in, midi_out, counters, sample_rate),
        ))
    }

    /// Stops the thread and waits for it (at most one window's inference).
    pub fn stop(mut self) -> Option<SnapshotWriter> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().and_then(|t| t.join().ok())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
