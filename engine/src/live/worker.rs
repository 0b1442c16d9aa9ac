//! The analysis worker's life: one thread per plugin instance or live app, which loads the
//! model once and analyses one stream after another. Hosts activate and deactivate a plugin
//! often (a sample-rate or block-size change, a bounce, a validator's fuzzing), so beginning
//! and ending a stream only hands the thread new queues through a channel: neither waits for
//! the thread, and the model is loaded and warmed up once. The audio side only downmixes into
//! [`AudioFeed`]; the thread runs the loop of [`crate::live::job`] and publishes
//! [`crate::live::snapshot::LiveSnapshot`]s. A panic in the worker stays in the worker: the
//! audio keeps flowing, the snapshot says what happened, and the worker starts over.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;

use ringbuf::HeapRb;
use ringbuf::traits::Split;

use crate::live::controls::WorkerControls;
use crate::live::feed::{AudioFeed, StreamCounters};
use crate::live::job::{StreamCommand, StreamQueues, WorkerJob};
use crate::live::midi::MidiMessage;
use crate::live::snapshot::SnapshotWriter;

/// Seconds of audio the queue holds; the worker drops the oldest beyond half of it.
const QUEUE_SECONDS: f64 = 4.0;
/// MIDI messages that can wait for the audio thread.
const MIDI_QUEUE: usize = 4096;

/// Lowers the calling thread's priority (nice 10 on Linux) so that the host's threads, the
/// audio thread above all, win the CPU whenever they compete with the analysis.
fn yield_to_the_host() {
    #[cfg(target_os = "linux")]
    // SAFETY: `gettid` and `setpriority` only read and set this thread's scheduling value;
    // a refusal leaves the priority as it was, which is harmless.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 10);
    }
}

/// A running worker thread; dropping it (or [`Worker::stop`]) stops and joins it.
pub struct Worker {
    stop: Arc<AtomicBool>,
    commands: Option<Sender<StreamCommand>>,
    thread: Option<JoinHandle<SnapshotWriter>>,
}

impl Worker {
    /// Starts the thread; it loads the model when the first stream begins.
    pub fn spawn(controls: Arc<WorkerControls>, writer: SnapshotWriter) -> std::io::Result<Self> {
        let (commands, received) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let job = WorkerJob::new(controls, received, stop.clone());
        let thread = std::thread::Builder::new()
            .name("timbrescope-analysis".into())
            .spawn(move || {
                yield_to_the_host();
                job.run(writer)
            })?;
        Ok(Self {
            stop,
            commands: Some(commands),
            thread: Some(thread),
        })
    }

    /// Starts the thread with a stream at `sample_rate` begun: what an app with one input
    /// needs.
    pub fn start(
        sample_rate: u32,
        controls: Arc<WorkerControls>,
        writer: SnapshotWriter,
    ) -> std::io::Result<(Self, AudioFeed)> {
        let worker = Self::spawn(controls, writer)?;
        let feed = worker.begin_stream(sample_rate);
        Ok((worker, feed))
    }

    /// Begins a stream at `sample_rate` (the host activated) and returns the audio thread's
    /// end of it; the previous stream, if any, ends. Allocates the queues, so call it where
    /// allocating is allowed; never waits for the thread.
    pub fn begin_stream(&self, sample_rate: u32) -> AudioFeed {
        let capacity = (f64::from(sample_rate) * QUEUE_SECONDS) as usize;
        let (audio_in, audio_out) = HeapRb::<f32>::new(capacity.max(1024)).split();
        let (midi_in, midi_out) = HeapRb::<MidiMessage>::new(MIDI_QUEUE).split();
        let counters = Arc::new(StreamCounters::default());
        self.send(StreamCommand::Begin(StreamQueues {
            sample_rate,
            audio: audio_out,
            midi: midi_in,
            counters: counters.clone(),
        }));
        AudioFeed::new(audio_in, midi_out, counters, sample_rate)
    }

    /// Ends the stream (the host deactivated); the thread keeps the model and idles. Never
    /// waits for the thread.
    pub fn end_stream(&self) {
        self.send(StreamCommand::End);
    }

    /// Whether the thread has ended (it gave up after failing again and again): a host side
    /// that wants analysis again stops it and spawns a new one.
    pub fn has_ended(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    fn send(&self, command: StreamCommand) {
        if let Some(commands) = &self.commands {
            // A thread that has ended takes no commands; `has_ended` says so.
            let _ = commands.send(command);
        }
    }

    /// Stops the thread and waits for it (at most one window's inference, or the model's
    /// loading); gives the results writer back.
    pub fn stop(mut self) -> Option<SnapshotWriter> {
        self.halt()
    }

    fn halt(&mut self) -> Option<SnapshotWriter> {
        self.stop.store(true, Ordering::Relaxed);
        // Dropping the sender wakes a thread that waits for a stream.
        self.commands = None;
        self.thread.take().and_then(|t| t.join().ok())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.halt();
    }
}
