//! The analysis worker: a dedicated thread that owns the model and the compute device. The
//! audio side only downmixes into a wait-free queue ([`AudioFeed`]); the worker pops, runs
//! [`LiveAnalyzer`] every hop, keeps a history for the views, publishes it through a triple
//! buffer ([`LiveSnapshot`]) and queues MIDI messages back to the audio side. A panic in the
//! worker stays in the worker: the audio keeps flowing and the snapshot says what happened.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

use crate::analysis::{Analysis, Analyzer};
use crate::classes::ClassList;
use crate::compute::{BackendChoice, ComputeDevice, select_device};
use crate::features::FRAMES_PER_SECOND;
use crate::live::{LiveAnalyzer, LiveOutput};
use crate::live_midi::{MidiChannels, MidiKind, MidiMessage};
use crate::model_file::built_in_model;
use crate::notes::{Note, NoteEvent, NoteTrackerConfig};
use crate::timeline::{FramePredictions, add_heard_frames, frames_to_seconds};

/// Seconds of audio the queue holds; the worker drops the oldest beyond half of it.
const QUEUE_SECONDS: f64 = 4.0;
/// Seconds of frames and notes kept for the views and for export.
pub const HISTORY_SECONDS: usize = 120;
/// MIDI messages that can wait for the audio thread.
const MIDI_QUEUE: usize = 4096;
/// Delay of MIDI out behind the audio at the start; it grows if the analysis needs longer.
pub const INITIAL_MIDI_DELAY_SECONDS: f64 = 0.75;
/// Seconds without audio before the snapshot reports it, and how often it updates then.
const IDLE_REPORT_AFTER_S: f32 = 1.0;
const IDLE_REPORT_EVERY_S: f32 = 0.25;
/// How long the worker sleeps when the queue is empty.
const IDLE_WAIT: Duration = Duration::from_millis(3);

/// Settings the host side changes while the worker runs (parameters, editor controls).
#[derive(Debug)]
pub struct WorkerControls {
    hop_ms: AtomicU32,
    threshold: AtomicU32,
    backend: AtomicU8,
    midi_out: AtomicBool,
}

impl Default for WorkerControls {
    fn default() -> Self {
        Self {
            hop_ms: AtomicU32::new(100),
            threshold: AtomicU32::new(0.5f32.to_bits()),
            backend: AtomicU8::new(0),
            midi_out: AtomicBool::new(false),
        }
    }
}

fn backend_code(choice: BackendChoice) -> u8 {
    match choice {
        BackendChoice::Auto => 0,
        BackendChoice::Cpu => 1,
        BackendChoice::Gpu => 2,
    }
}

fn backend_of(code: u8) -> BackendChoice {
    match code {
        1 => BackendChoice::Cpu,
        2 => BackendChoice::Gpu,
        _ => BackendChoice::Auto,
    }
}

impl WorkerControls {
    /// Time between model windows.
    pub fn set_hop_ms(&self, ms: u32) {
        self.hop_ms.store(ms, Ordering::Relaxed);
    }

    /// Probability at which a note starts (it lasts down to 60 % of it).
    pub fn set_threshold(&self, threshold: f32) {
        self.threshold.store(threshold.to_bits(), Ordering::Relaxed);
    }

    /// The threshold in use, for views that draw activity against it.
    pub fn threshold(&self) -> f32 {
        f32::from_bits(self.threshold.load(Ordering::Relaxed))
    }

    /// Which device runs inference; switching happens between windows.
    pub fn set_backend(&self, choice: BackendChoice) {
        self.backend.store(backend_code(choice), Ordering::Relaxed);
    }

    /// Whether detected notes go out as MIDI.
    pub fn set_midi_out(&self, on: bool) {
        self.midi_out.store(on, Ordering::Relaxed);
    }

    fn hop_frames(&self) -> usize {
        (self.hop_ms.load(Ordering::Relaxed) as usize * FRAMES_PER_SECOND / 1000).max(1)
    }

    fn note_config(&self) -> NoteTrackerConfig {
        let on = self.threshold().clamp(0.05, 0.99);
        NoteTrackerConfig {
            on_threshold: on,
            off_threshold: on * 0.6,
            ..NoteTrackerConfig::default()
        }
    }
}

/// Counters the audio side and the worker share. Sample counts run on across restarts, so
/// MIDI positions and the audio side's clock never disagree about where a restart was.
#[derive(Debug, Default)]
struct StreamCounters {
    /// Samples the audio side has seen.
    received: AtomicU64,
    /// Samples lost because the worker fell behind.
    dropped: AtomicU64,
    /// Samples MIDI out runs behind the audio it describes.
    midi_delay: AtomicU64,
    /// Set by a restart, cleared by the worker when it starts the stream over.
    restart: AtomicBool,
    /// Samples that had entered the queue at the last restart: the worker discards up to
    /// there, and no further, however late it notices.
    restart_entered: AtomicU64,
    /// `received` at the last restart: where the new stream starts.
    restart_received: AtomicU64,
}

/// The audio thread's end: wait-free, allocation-free.
pub struct AudioFeed {
    audio: HeapProd<f32>,
    midi: HeapCons<MidiMessage>,
    counters: Arc<StreamCounters>,
    received: u64,
    entered: u64,
    midi_delay: u64,
    midi_delay_step: u64,
}

impl AudioFeed {
    /// Downmixes a block (one slice per channel) into the queue. When the queue is full the
    /// samples that do not fit are counted as dropped.
    pub fn push_block<C: AsRef<[f32]>>(&mut self, channels: &[C]) {
        let Some(first) = channels.first() else {
            return;
        };
        let len = first.as_ref().len();
        let scale = 1.0 / channels.len() as f32;
        let mono = (0..len).map(|i| channels.iter().map(|c| c.as_ref()[i]).sum::<f32>() * scale);
        self.push_mono(mono, len);
    }

    /// Downmixes interleaved frames of `channels` channels (what audio APIs such as cpal
    /// deliver) into the queue.
    pub fn push_interleaved(&mut self, samples: &[f32], channels: usize) {
        let channels = channels.max(1);
        let scale = 1.0 / channels as f32;
        let mono = samples
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f32>() * scale);
        self.push_mono(mono, samples.len() / channels);
    }

    fn push_mono(&mut self, mono: impl Iterator<Item = f32>, len: usize) {
        let pushed = self.audio.push_iter(mono);
        self.entered += pushed as u64;
        if pushed < len {
            self.counters
                .dropped
                .fetch_add((len - pushed) as u64, Ordering::Relaxed);
        }
        self.received += len as u64;
        self.counters
            .received
            .store(self.received, Ordering::Relaxed);
    }

    /// Starts the analysis over from the next sample pushed (a transport restart); wait-free,
    /// so the audio thread calls it. Audio queued before it is discarded, audio after it kept.
    pub fn restart(&mut self) {
        let counters = &self.counters;
        counters
            .restart_entered
            .store(self.entered, Ordering::Relaxed);
        counters
            .restart_received
            .store(self.received, Ordering::Relaxed);
        counters.restart.store(true, Ordering::Release);
    }

    /// Sends the MIDI messages due in the block just pushed (`block_len` samples long):
    /// `send(message, offset)` hands one to the host at `offset` samples into the block.
    ///
    /// Notes are known only after the analysis delay, so every message goes out a constant
    /// delay after the audio it describes: timing between notes is kept to the sample, and a
    /// DAW can compensate the one delay (shown in the editor). The delay starts at
    /// [`INITIAL_MIDI_DELAY_SECONDS`] and grows (never shrinks) when a note starts later; other
    /// late messages (notes a restart ended) just go out at once.
    pub fn drain_midi(&mut self, block_len: usize, mut send: impl FnMut(&MidiMessage, u32)) {
        let block_start = self.received.saturating_sub(block_len as u64);
        let last = block_len.saturating_sub(1) as u64;
        let mut previous = 0;
        while let Some(&message) = self.midi.first() {
            let due = message.sample + self.midi_delay;
            if due >= self.received {
                break;
            }
            if due < block_start && matches!(message.kind, MidiKind::NoteOn { .. }) {
                // Later than the delay allows: lengthen the delay to match.
                self.midi_delay =
                    (block_start - message.sample).next_multiple_of(self.midi_delay_step);
            }
            // Events within a block must not go back in time.
            let offset = due.saturating_sub(block_start).clamp(previous, last);
            previous = offset;
            send(&message, offset as u32);
            self.midi.try_pop();
        }
        self.counters
            .midi_delay
            .store(self.midi_delay, Ordering::Relaxed);
    }
}

/// A note in the history, open while it still sounds.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveNote {
    /// Class index.
    pub class: usize,
    /// MIDI note number.
    pub pitch: u8,
    /// Start, stream seconds.
    pub onset: f64,
    /// End, stream seconds; `None` while it sounds.
    pub offset: Option<f64>,
    /// Peak probability.
    pub velocity: f32,
}

/// How the worker is doing, for the status line.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum WorkerState {
    /// Loading the model and choosing the device.
    #[default]
    Starting,
    /// Analysing.
    Running,
    /// Stopped by an error; the message says why. Audio still passes.
    Failed(String),
}

/// What the editor shows: the recent history and the worker's status.
#[derive(Debug, Clone, Default)]
pub struct LiveSnapshot {
    /// The model's classes.
    pub classes: ClassList,
    /// Frames in which each class has been heard (activity at or above the threshold) since
    /// the stream started.
    pub heard_frames: Vec<u32>,
    /// Stream frame index of the first history row.
    pub first_frame: usize,
    /// Instrument activity history, `[rows][classes]`, 100 rows per second.
    pub instrument: Vec<f32>,
    /// Notes that overlap the history.
    pub notes: Vec<LiveNote>,
    /// Clip scores of the newest window.
    pub clip: Vec<f32>,
    /// Worker state.
    pub state: WorkerState,
    /// Device in use ("CPU (flex)", "GPU: …").
    pub backend: String,
    /// Why the preferred device is not in use, if it is not.
    pub backend_note: Option<String>,
    /// Model name.
    pub model: String,
    /// Model time per window, milliseconds (smoothed).
    pub inference_ms: f32,
    /// Audio in to frame shown, milliseconds.
    pub latency_ms: f32,
    /// MIDI out's constant delay behind the audio, milliseconds.
    pub midi_delay_ms: f32,
    /// Samples dropped because the worker fell behind.
    pub dropped_samples: u64,
    /// Input sample rate.
    pub sample_rate: u32,
    /// Seconds since audio last arrived (0 while it flows): a stopped or vanished input
    /// shows up here, since nothing else would change.
    pub input_idle_s: f32,
}

impl LiveSnapshot {
    /// The classes heard for at least `min_seconds` so far, with their seconds, in class
    /// order: the summary a project keeps and a rehearsal log prints.
    pub fn heard(&self, min_seconds: f32) -> Vec<(&str, f32)> {
        self.classes
            .iter()
            .zip(&self.heard_frames)
            .map(|(class, &frames)| (class.name.as_str(), frames_to_seconds(frames)))
            .filter(|&(_, seconds)| seconds >= min_seconds)
            .collect()
    }

    /// Rows of history.
    pub fn rows(&self) -> usize {
        self.instrument.len() / self.classes.len().max(1)
    }

    /// Stream time of the newest row's end, seconds.
    pub fn now(&self) -> f64 {
        (self.first_frame + self.rows()) as f64 / FRAMES_PER_SECOND as f64
    }

    /// The notes and activity between stream times `start` and `end` (seconds), with times
    /// counted from `start`: what an export writes. Notes still sounding end at `end`.
    pub fn excerpt(&self, start: f64, end: f64) -> Analysis {
        let c = self.classes.len();
        let fps = FRAMES_PER_SECOND as f64;
        let row_of =
            |t: f64| ((t * fps).round().max(0.0) as usize).saturating_sub(self.first_frame);
        let (first, last) = (row_of(start).min(self.rows()), row_of(end).min(self.rows()));
        let instrument = self.instrument[first * c..last * c].to_vec();
        let frames = last - first;
        let mut clip = vec![0.0; c];
        for row in instrument.chunks_exact(c.max(1)) {
            clip.iter_mut()
                .zip(row)
                .for_each(|(m, v)| *m = f32::max(*m, *v));
        }
        let notes = self
            .notes
            .iter()
            .filter(|n| n.onset < end && n.offset.is_none_or(|o| o > start))
            .map(|n| Note {
                onset: (n.onset - start).max(0.0),
                offset: n.offset.unwrap_or(end).min(end) - start,
                pitch: n.pitch,
                class: n.class,
                velocity: n.velocity,
            })
            .collect();
        Analysis {
            predictions: FramePredictions {
                classes: self.classes.clone(),
                frames,
                instrument,
                pitch: Vec::new(),
                pianoroll: Vec::new(),
                clip,
            },
            notes,
        }
    }

    fn append(&mut self, output: &LiveOutput, threshold: f32) {
        add_heard_frames(&mut self.heard_frames, &output.instrument, threshold);
        let c = self.classes.len();
        if self.rows() == 0 || output.first_frame != self.first_frame + self.rows() {
            self.instrument.clear();
            self.first_frame = output.first_frame;
        }
        self.instrument.extend_from_slice(&output.instrument);
        let excess = self
            .rows()
            .saturating_sub(HISTORY_SECONDS * FRAMES_PER_SECOND);
        self.instrument.drain(..excess * c);
        self.first_frame += excess;
        for event in &output.events {
            match event {
                NoteEvent::Started {
                    onset,
                    pitch,
                    class,
                    velocity,
                } => self.notes.push(LiveNote {
                    class: *class,
                    pitch: *pitch,
                    onset: *onset,
                    offset: None,
                    velocity: *velocity,
                }),
                NoteEvent::Ended(note) => {
                    if let Some(open) = self.notes.iter_mut().rev().find(|n| {
                        n.offset.is_none() && n.class == note.class && n.pitch == note.pitch
                    }) {
                        open.offset = Some(note.offset);
                        open.velocity = note.velocity;
                    }
                }
            }
        }
        let start = self.first_frame as f64 / FRAMES_PER_SECOND as f64;
        self.notes.retain(|n| n.offset.is_none_or(|o| o >= start));
        if let Some(clip) = &output.clip {
            self.clip.clone_from(clip);
        }
    }
}

/// The editor's end of the results: a triple buffer, so reading never waits for the worker.
pub type SnapshotReader = triple_buffer::Output<LiveSnapshot>;
/// The worker's end, kept by the host side between worker runs.
pub type SnapshotWriter = triple_buffer::Input<LiveSnapshot>;

/// A fresh results channel.
pub fn snapshot_channel() -> (SnapshotWriter, SnapshotReader) {
    triple_buffer::triple_buffer(&LiveSnapshot::default())
}

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
        let job = WorkerJob {
            sample_rate,
            controls,
            audio: audio_out,
            midi: midi_in,
            counters: counters.clone(),
            stop: stop.clone(),
            taken: 0,
            origin: StreamOrigin::default(),
            analysed: 0,
            held: Vec::new(),
        };
        let thread = std::thread::Builder::new()
            .name("timbrescope-analysis".into())
            .spawn(move || job.run(writer))?;
        Ok((
            Self {
                stop,
                thread: Some(thread),
            },
            AudioFeed {
                audio: audio_in,
                midi: midi_out,
                counters,
                received: 0,
                entered: 0,
                midi_delay: (f64::from(sample_rate) * INITIAL_MIDI_DELAY_SECONDS) as u64,
                midi_delay_step: u64::from(sample_rate / 100).max(1),
            },
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

struct WorkerJob {
    sample_rate: u32,
    controls: Arc<WorkerControls>,
    audio: HeapCons<f32>,
    midi: HeapProd<MidiMessage>,
    counters: Arc<StreamCounters>,
    stop: Arc<AtomicBool>,
    /// Samples taken out of the queue (analysed or skipped).
    taken: u64,
    origin: StreamOrigin,
    /// Samples fed to the analysis since `origin`.
    analysed: u64,
    /// MIDI messages waiting for their turn (see [`WorkerJob::send_midi`]).
    held: Vec<MidiMessage>,
}

/// Where the analysed stream starts on the audio side's sample count.
#[derive(Debug, Default, Clone, Copy)]
struct StreamOrigin {
    /// `received` when the stream (re)started.
    sample: u64,
    /// Samples dropped before then, which the analysis clock does not owe.
    dropped: u64,
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

impl WorkerJob {
    fn run(mut self, mut writer: SnapshotWriter) -> SnapshotWriter {
        let mut snapshot = LiveSnapshot {
            sample_rate: self.sample_rate,
            ..LiveSnapshot::default()
        };
        writer.write(snapshot.clone());
        let result = catch_unwind(AssertUnwindSafe(|| {
            self.analyse(&mut snapshot, &mut writer)
        }));
        let failure = match result {
            Ok(Ok(())) => None,
            Ok(Err(message)) => Some(message),
            Err(payload) => Some(format!(
                "the analysis stopped: {}",
                panic_message(payload.as_ref())
            )),
        };
        if let Some(message) = failure {
            snapshot.state = WorkerState::Failed(message);
            writer.write(snapshot);
        }
        writer
    }

    fn device_for(&self, choice: BackendChoice, snapshot: &mut LiveSnapshot) -> ComputeDevice {
        match select_device(choice) {
            Ok(compute) => {
                snapshot.backend_note = None;
                compute
            }
            Err(e) => {
                snapshot.backend_note = Some(format!("{e}; using the CPU"));
                ComputeDevice::cpu()
            }
        }
    }

    fn analyse(
        &mut self,
        snapshot: &mut LiveSnapshot,
        writer: &mut SnapshotWriter,
    ) -> Result<(), String> {
        let mut choice = backend_of(self.controls.backend.load(Ordering::Relaxed));
        let compute = self.device_for(choice, snapshot);
        let model = built_in_model(&compute.device);
        snapshot.classes = model.sidecar.classes.clone();
        snapshot.heard_frames = vec![0; snapshot.classes.len()];
        snapshot.model = model.sidecar.name.clone();
        let mut midi = MidiChannels::new(&model.sidecar.classes);
        let analyzer = Analyzer::new(model, compute, self.controls.hop_frames());
        let mut live = LiveAnalyzer::new(
            analyzer,
            self.sample_rate,
            self.controls.hop_frames(),
            self.controls.note_config(),
        )
        .map_err(|e| e.to_string())?;
        live.warm_up();
        snapshot.backend = live.analyzer().compute().description.clone();
        snapshot.state = WorkerState::Running;
        writer.write(snapshot.clone());

        let capacity = self.audio.capacity().get();
        let mut block = vec![0.0f32; (self.sample_rate as usize / 100).max(64)];
        let mut output = LiveOutput::default();
        let mut messages = Vec::new();
        let mut last_audio = Instant::now();
        while !self.stop.load(Ordering::Relaxed) {
            if self.counters.restart.swap(false, Ordering::Acquire) {
                let mut ended = Vec::new();
                live.restart(&mut ended).map_err(|e| e.to_string())?;
                // Notes the restart ended stop where the old stream stopped.
                self.send_midi(&mut midi, &ended, &mut messages, None);
                self.start_stream_at_restart();
                snapshot.instrument.clear();
                snapshot.notes.clear();
            }
            let wanted = backend_of(self.controls.backend.load(Ordering::Relaxed));
            if wanted != choice {
                choice = wanted;
                live.set_compute(self.device_for(choice, snapshot));
                live.warm_up();
                snapshot.backend = live.analyzer().compute().description.clone();
            }
            live.set_hop_frames(self.controls.hop_frames());
            live.set_note_config(self.controls.note_config());

            let backlog = self.audio.occupied_len();
            if backlog > capacity / 2 {
                let skipped = self.audio.skip(backlog - capacity / 4) as u64;
                self.taken += skipped;
                self.counters.dropped.fetch_add(skipped, Ordering::Relaxed);
            }
            let n = self.audio.pop_slice(&mut block);
            self.taken += n as u64;
            if n == 0 {
                std::thread::sleep(IDLE_WAIT);
                let idle = last_audio.elapsed().as_secs_f32();
                if idle >= IDLE_REPORT_AFTER_S
                    && idle - snapshot.input_idle_s >= IDLE_REPORT_EVERY_S
                {
                    snapshot.input_idle_s = idle;
                    writer.write(snapshot.clone());
                }
                continue;
            }
            last_audio = Instant::now();
            snapshot.input_idle_s = 0.0;
            self.analysed += n as u64;
            if self.push_guarded(&mut live, &block[..n], &mut output, snapshot)? {
                // The notes the fallback ended stop where the old stream stopped.
                self.send_midi(&mut midi, &output.events, &mut messages, None);
                self.start_stream_after_analysed();
                continue;
            }
            if output.windows == 0 {
                continue;
            }
            let settled = live.settled_seconds();
            self.send_midi(&mut midi, &output.events, &mut messages, Some(settled));
            snapshot.append(&output, self.controls.threshold());
            let per_window = output.inference.as_secs_f32() * 1000.0 / output.windows as f32;
            snapshot.inference_ms = if snapshot.inference_ms == 0.0 {
                per_window
            } else {
                0.8 * snapshot.inference_ms + 0.2 * per_window
            };
            let rate = f64::from(self.sample_rate);
            let received = self.counters.received.load(Ordering::Relaxed);
            let shown = self.stream_position(snapshot.now());
            snapshot.latency_ms = (received.saturating_sub(shown) as f64 / rate * 1000.0) as f32;
            snapshot.midi_delay_ms =
                (self.counters.midi_delay.load(Ordering::Relaxed) as f64 / rate * 1000.0) as f32;
            snapshot.dropped_samples = self.counters.dropped.load(Ordering::Relaxed);
            writer.write(snapshot.clone());
        }
        Ok(())
    }

    /// Runs one push; a panic on the GPU moves the analysis to the CPU and starts the stream
    /// over (the answer is then `true`; `output.events` ends the notes that were sounding), a
    /// panic on the CPU ends the worker.
    fn push_guarded(
        &self,
        live: &mut LiveAnalyzer,
        samples: &[f32],
        output: &mut LiveOutput,
        snapshot: &mut LiveSnapshot,
    ) -> Result<bool, String> {
        let result = catch_unwind(AssertUnwindSafe(|| live.push(samples, output)));
        match result {
            Ok(()) => Ok(false),
            Err(payload) if live.analyzer().compute().is_gpu => {
                snapshot.backend_note = Some(format!(
                    "the GPU failed ({}); using the CPU",
                    panic_message(payload.as_ref())
                ));
                live.set_compute(ComputeDevice::cpu());
                snapshot.backend = live.analyzer().compute().description.clone();
                output.events.clear();
                output.windows = 0;
                live.restart(&mut output.events)
                    .map_err(|e| e.to_string())?;
                Ok(true)
            }
            Err(payload) => Err(format!(
                "the analysis stopped: {}",
                panic_message(payload.as_ref())
            )),
        }
    }

    /// Discards what was queued before the restart (and only that) and moves the analysis
    /// clock's origin to the restart point.
    fn start_stream_at_restart(&mut self) {
        let entered = self.counters.restart_entered.load(Ordering::Relaxed);
        let stale = entered.saturating_sub(self.taken) as usize;
        self.taken += self.audio.skip(stale) as u64;
        self.origin = StreamOrigin {
            sample: self.counters.restart_received.load(Ordering::Relaxed),
            dropped: self.counters.dropped.load(Ordering::Relaxed),
        };
        self.analysed = 0;
    }

    /// Moves the analysis clock's origin to the end of what it has analysed: the analysis
    /// started over in the middle of the stream.
    fn start_stream_after_analysed(&mut self) {
        let dropped = self.counters.dropped.load(Ordering::Relaxed);
        self.origin = StreamOrigin {
            sample: self.origin.sample
                + self.analysed
                + dropped.saturating_sub(self.origin.dropped),
            dropped,
        };
        self.analysed = 0;
    }

    /// Position on the audio side's sample count of analysis time `seconds`: the analysis
    /// never sees dropped audio, so its clock runs behind by what was dropped.
    fn stream_position(&self, seconds: f64) -> u64 {
        let dropped = self
            .counters
            .dropped
            .load(Ordering::Relaxed)
            .saturating_sub(self.origin.dropped);
        self.origin.sample + (seconds * f64::from(self.sample_rate)).round() as u64 + dropped
    }

    /// Queues the MIDI for `events` in stream order. A note is announced a few frames after it
    /// starts, so its start can come after the end of a note that started earlier; messages
    /// wait in `held` until no later event can fall before them (`settled`, analysis seconds;
    /// `None` sends everything). Note-offs always go out, so switching MIDI out off never
    /// leaves a note hanging.
    fn send_midi(
        &mut self,
        midi: &mut MidiChannels,
        events: &[NoteEvent],
        messages: &mut Vec<MidiMessage>,
        settled: Option<f64>,
    ) {
        let enabled = self.controls.midi_out.load(Ordering::Relaxed);
        messages.clear();
        for event in events {
            midi.messages(event, |seconds| self.stream_position(seconds), messages);
        }
        self.held.extend(
            messages
                .iter()
                .filter(|m| enabled || matches!(m.kind, MidiKind::NoteOff { .. })),
        );
        // Stable: a programme change stays before the note it announces.
        self.held.sort_by_key(|m| m.sample);
        let ready = settled.map_or(self.held.len(), |seconds| {
            let bound = self.stream_position(seconds);
            self.held.partition_point(|m| m.sample < bound)
        });
        for message in self.held.drain(..ready) {
            let _ = self.midi.try_push(message);
        }
    }
}
