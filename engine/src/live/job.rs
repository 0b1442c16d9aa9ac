//! The worker's loop: pops audio, follows the controls (hop, threshold, device), runs
//! [`LiveAnalyzer`] every hop, appends to the snapshot and queues MIDI in stream order. It
//! also keeps the stream clock across drops and restarts, and moves to the CPU when the GPU
//! fails.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Observer, Producer};
use ringbuf::{HeapCons, HeapProd};

use crate::analysis::Analyzer;
use crate::compute::{BackendChoice, ComputeDevice, select_device};
use crate::features::FRAMES_PER_SECOND;
use crate::live::controls::WorkerControls;
use crate::live::feed::StreamCounters;
use crate::live::midi::{MidiChannels, MidiKind, MidiMessage};
use crate::live::snapshot::{LiveSnapshot, SnapshotWriter, WorkerState};
use crate::live::stream::{LiveAnalyzer, LiveOutput};
use crate::networks::model_file::built_in_model;
use crate::timeline::notes::NoteEvent;

/// Seconds without audio before the snapshot reports it, and how often it updates then.
const IDLE_REPORT_AFTER_S: f32 = 1.0;
const IDLE_REPORT_EVERY_S: f32 = 0.25;
/// How long the worker sleeps when the queue is empty.
const IDLE_WAIT: Duration = Duration::from_millis(3);

/// The worker thread's state: its ends of the queues, the stream clock and held MIDI.
pub(crate) struct WorkerJob {
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
    /// A job for a stream at `sample_rate`, reading `audio` and writing `midi`.
    pub(crate) fn new(
        sample_rate: u32,
        controls: Arc<WorkerControls>,
        audio: HeapCons<f32>,
        midi: HeapProd<MidiMessage>,
        counters: Arc<StreamCounters>,
        stop: Arc<AtomicBool>,
    ) -> Self {
        Self {
            sample_rate,
            controls,
            audio,
            midi,
            counters,
            stop,
            taken: 0,
            origin: StreamOrigin::default(),
            analysed: 0,
            held: Vec::new(),
        }
    }

    /// The thread's body: analyses until stopped, then hands the results writer back.
    pub(crate) fn run(mut self, mut writer: SnapshotWriter) -> SnapshotWriter {
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
        let mut choice = self.controls.backend();
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
        let mut block = vec![0.0f32; (self.sample_rate as usize / FRAMES_PER_SECOND).max(64)];
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
            let wanted = self.controls.backend();
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
        let enabled = self.controls.midi_out();
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
