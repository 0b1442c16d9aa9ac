//! The worker's loop: waits for a stream, loads the model once, then pops audio, follows the
//! controls (hop, threshold, device), runs [`LiveAnalyzer`] every hop, appends to the
//! snapshot and queues MIDI in stream order. Streams come and go as the host activates and
//! deactivates; the model and its warmed-up device stay. It keeps the stream clock across
//! drops and restarts, moves to the CPU when the GPU fails, and starts itself over after a
//! failure.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Observer, Producer};
use ringbuf::{HeapCons, HeapProd};

use crate::analysis::Analyzer;
use crate::classes::ClassList;
use crate::compute::{BackendChoice, ComputeDevice, select_device};
use crate::features::FRAMES_PER_SECOND;
use crate::live::controls::WorkerControls;
use crate::live::fault::FaultPlan;
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
/// Failures in a row (without a window analysed in between) after which the worker gives up.
const MAX_FAILURES_IN_A_ROW: u32 = 5;
/// Pause before the first restart after a failure; it doubles with each failure in a row.
const FIRST_RESTART_PAUSE: Duration = Duration::from_millis(200);

/// What the host side tells the worker about streams.
pub(crate) enum StreamCommand {
    /// A new stream begins (the host activated): its queues replace the old ones.
    Begin(StreamQueues),
    /// The stream ended (the host deactivated): the worker idles until the next one.
    End,
}

/// The worker's ends of one stream's queues.
pub(crate) struct StreamQueues {
    /// Input sample rate.
    pub(crate) sample_rate: u32,
    /// Mono audio from the audio thread.
    pub(crate) audio: HeapCons<f32>,
    /// MIDI for the audio thread.
    pub(crate) midi: HeapProd<MidiMessage>,
    /// Counters shared with the audio thread.
    pub(crate) counters: Arc<StreamCounters>,
}

/// One stream's queues with its clock and the MIDI waiting to go out.
struct Stream {
    queues: StreamQueues,
    /// Samples taken out of the queue (analysed or skipped).
    taken: u64,
    origin: StreamOrigin,
    /// Samples fed to the analysis since `origin`.
    analysed: u64,
    /// MIDI messages waiting for their turn (see [`Stream::send_midi`]).
    held: Vec<MidiMessage>,
    /// Messages of the events being sent, reused.
    messages: Vec<MidiMessage>,
    midi: MidiChannels,
}

/// Where the analysed stream starts on the audio side's sample count.
#[derive(Debug, Default, Clone, Copy)]
struct StreamOrigin {
    /// `received` when the stream (re)started.
    sample: u64,
    /// Samples dropped before then, which the analysis clock does not owe.
    dropped: u64,
}

impl StreamOrigin {
    /// Position on the audio side's sample count of analysis time `seconds`: the analysis
    /// never sees dropped audio, so its clock runs behind by what was dropped.
    fn position(&self, queues: &StreamQueues, seconds: f64) -> u64 {
        let dropped = queues
            .counters
            .dropped
            .load(Ordering::Relaxed)
            .saturating_sub(self.dropped);
        let rate = f64::from(queues.sample_rate);
        self.sample + (seconds * rate).round() as u64 + dropped
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// The worker thread's state across streams.
pub(crate) struct WorkerJob {
    controls: Arc<WorkerControls>,
    commands: Receiver<StreamCommand>,
    stop: Arc<AtomicBool>,
    stream: Option<Stream>,
    /// Windows analysed since the worker last (re)started.
    windows: u64,
    fault: FaultPlan,
}

impl WorkerJob {
    /// A job that takes its streams from `commands` until `stop` is set or the sender goes.
    pub(crate) fn new(
        controls: Arc<WorkerControls>,
        commands: Receiver<StreamCommand>,
        stop: Arc<AtomicBool>,
    ) -> Self {
        Self {
            controls,
            commands,
            stop,
            stream: None,
            windows: 0,
            fault: FaultPlan::default(),
        }
    }

    /// The thread's body: serves streams until stopped, starting over after a failure (a
    /// panic in the analysis, a model that will not load) with a growing pause; gives up
    /// after [`MAX_FAILURES_IN_A_ROW`]. Hands the results writer back at the end.
    pub(crate) fn run(mut self, mut writer: SnapshotWriter) -> SnapshotWriter {
        let mut snapshot = LiveSnapshot::default();
        writer.write(snapshot.clone());
        let mut failures_in_a_row = 0;
        loop {
            let result = catch_unwind(AssertUnwindSafe(|| self.serve(&mut snapshot, &mut writer)));
            let message = match result {
                Ok(Ok(())) => break,
                Ok(Err(message)) => message,
                Err(payload) => {
                    format!("the analysis stopped: {}", panic_message(payload.as_ref()))
                }
            };
            failures_in_a_row = if self.windows > 0 {
                1
            } else {
                failures_in_a_row + 1
            };
            if failures_in_a_row >= MAX_FAILURES_IN_A_ROW {
                snapshot.state = WorkerState::Failed(message);
                writer.write(snapshot);
                break;
            }
            snapshot.restarts += 1;
            snapshot.state = WorkerState::Restarting(message);
            writer.write(snapshot.clone());
            let pause = FIRST_RESTART_PAUSE * (1 << (failures_in_a_row - 1));
            if !self.pause_unless_stopped(pause) {
                break;
            }
        }
        writer
    }

    /// Sleeps for `pause` unless stopped first; whether the worker should go on.
    fn pause_unless_stopped(&self, pause: Duration) -> bool {
        let until = Instant::now() + pause;
        while Instant::now() < until {
            if self.stop.load(Ordering::Relaxed) {
                return false;
            }
            std::thread::sleep(IDLE_WAIT * 10);
        }
        !self.stop.load(Ordering::Relaxed)
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

    /// Handles one command from the host side; `live` is the analysis, once it exists.
    fn follow(
        &mut self,
        command: StreamCommand,
        live: Option<&mut LiveAnalyzer>,
        snapshot: &mut LiveSnapshot,
    ) -> Result<(), String> {
        match command {
            StreamCommand::Begin(queues) => {
                if let Some(live) = live {
                    // The old stream's open notes end with it; its MIDI queue is gone.
                    let mut ended = Vec::new();
                    live.restart_at(queues.sample_rate, &mut ended)
                        .map_err(|e| e.to_string())?;
                }
                self.fault = FaultPlan::from_env();
                snapshot.begin_stream(queues.sample_rate);
                self.stream = Some(Stream::new(queues, &snapshot.classes));
            }
            // Nobody drains the old queues any more; the next stream starts the analysis over.
            StreamCommand::End => self.stream = None,
        }
        Ok(())
    }

    /// Waits (on this thread, never on the audio thread) until a stream begins. `false` when
    /// stopped first.
    fn wait_for_stream(&mut self, snapshot: &mut LiveSnapshot) -> Result<bool, String> {
        while self.stream.is_none() {
            if self.stop.load(Ordering::Relaxed) {
                return Ok(false);
            }
            match self.commands.recv_timeout(IDLE_WAIT * 30) {
                Ok(command) => self.follow(command, None, snapshot)?,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(false),
            }
        }
        Ok(true)
    }

    /// Loads the model once a stream begins, then analyses stream after stream until
    /// stopped.
    fn serve(
        &mut self,
        snapshot: &mut LiveSnapshot,
        writer: &mut SnapshotWriter,
    ) -> Result<(), String> {
        self.windows = 0;
        if !self.wait_for_stream(snapshot)? {
            return Ok(());
        }
        snapshot.state = WorkerState::Starting;
        writer.write(snapshot.clone());
        let mut choice = self.controls.backend();
        let compute = self.device_for(choice, snapshot);
        let model = built_in_model(&compute.device);
        if snapshot.classes != model.sidecar.classes {
            snapshot.set_classes(model.sidecar.classes.clone());
        }
        snapshot.model = model.sidecar.name.clone();
        let rate = self.stream.as_ref().map_or(0, |s| s.queues.sample_rate);
        if let Some(stream) = self.stream.as_mut() {
            stream.midi = MidiChannels::new(&snapshot.classes);
            // After a failure the analysis starts over in the middle of the stream.
            stream.start_after_analysed();
            snapshot.instrument.clear();
            snapshot.notes.clear();
        }
        let analyzer = Analyzer::new(model, compute, self.controls.hop_frames());
        let mut live = LiveAnalyzer::new(
            analyzer,
            rate,
            self.controls.hop_frames(),
            self.controls.threshold(),
        )
        .map_err(|e| e.to_string())?;
        if self.stop.load(Ordering::Relaxed) {
            // Stopped while loading: no need to warm up for nothing.
            return Ok(());
        }
        live.warm_up();
        snapshot.backend = live.analyzer().compute().description.clone();
        snapshot.state = WorkerState::Running;
        writer.write(snapshot.clone());

        let mut output = LiveOutput::default();
        let mut block = Vec::new();
        let mut last_audio = Instant::now();
        while !self.stop.load(Ordering::Relaxed) {
            match self.commands.try_recv() {
                Ok(command) => {
                    self.follow(command, Some(&mut live), snapshot)?;
                    writer.write(snapshot.clone());
                    continue;
                }
                Err(TryRecvError::Disconnected) => break,
                Err(TryRecvError::Empty) => {}
            }
            let wanted = self.controls.backend();
            if wanted != choice {
                choice = wanted;
                live.set_compute(self.device_for(choice, snapshot));
                live.warm_up();
                snapshot.backend = live.analyzer().compute().description.clone();
            }
            live.set_hop_frames(self.controls.hop_frames());
            live.set_threshold(self.controls.threshold());
            let Some(stream) = self.stream.as_mut() else {
                if let Ok(command) = self.commands.recv_timeout(IDLE_WAIT * 30) {
                    self.follow(command, Some(&mut live), snapshot)?;
                    writer.write(snapshot.clone());
                }
                continue;
            };
            let rate = stream.queues.sample_rate;
            if stream
                .queues
                .counters
                .restart
                .swap(false, Ordering::Acquire)
            {
                let mut ended = Vec::new();
                live.restart(&mut ended).map_err(|e| e.to_string())?;
                // Notes the restart ended stop where the old stream stopped.
                stream.send_midi(&ended, None, self.controls.midi_out());
                stream.start_at_restart();
                snapshot.instrument.clear();
                snapshot.notes.clear();
            }
            block.resize((rate as usize / FRAMES_PER_SECOND).max(64), 0.0);
            let n = stream.pop(&mut block);
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
            stream.analysed += n as u64;
            let fault = &mut self.fault;
            let pushed = push_guarded(&mut live, &block[..n], &mut output, snapshot, fault)?;
            let midi_out = self.controls.midi_out();
            if pushed == Pushed::StartedOver {
                // The notes the fallback ended stop where the old stream stopped.
                stream.send_midi(&output.events, None, midi_out);
                stream.start_after_analysed();
                continue;
            }
            // basic-pitch's notes can come in a push in which the model ran no window.
            if output.windows == 0 && output.events.is_empty() {
                continue;
            }
            self.windows += output.windows as u64;
            stream.send_midi(&output.events, Some(live.settled_seconds()), midi_out);
            snapshot.append(&output, self.controls.threshold());
            stream.report(snapshot, &output);
            writer.write(snapshot.clone());
        }
        Ok(())
    }
}

/// What one guarded push did.
#[derive(Debug, PartialEq)]
enum Pushed {
    /// The analysis took the samples.
    Analysed,
    /// The GPU failed; the analysis moved to the CPU and started the stream over.
    StartedOver,
}

/// Runs one push; a panic on the GPU moves the analysis to the CPU and starts the stream over
/// (`output.events` then ends the notes that were sounding), a panic on the CPU is an error.
fn push_guarded(
    live: &mut LiveAnalyzer,
    samples: &[f32],
    output: &mut LiveOutput,
    snapshot: &mut LiveSnapshot,
    fault: &mut FaultPlan,
) -> Result<Pushed, String> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        fault.before_block();
        live.push(samples, output)
    }));
    match result {
        Ok(()) => Ok(Pushed::Analysed),
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
            Ok(Pushed::StartedOver)
        }
        Err(payload) => Err(format!(
            "the analysis stopped: {}",
            panic_message(payload.as_ref())
        )),
    }
}

impl Stream {
    fn new(queues: StreamQueues, classes: &ClassList) -> Self {
        Self {
            queues,
            taken: 0,
            origin: StreamOrigin::default(),
            analysed: 0,
            held: Vec::new(),
            messages: Vec::new(),
            midi: MidiChannels::new(classes),
        }
    }

    /// Takes the next block of audio into `block`, first dropping the oldest audio when the
    /// worker has fallen more than half a queue behind; the samples taken.
    fn pop(&mut self, block: &mut [f32]) -> usize {
        let audio = &mut self.queues.audio;
        let capacity = audio.capacity().get();
        let backlog = audio.occupied_len();
        if backlog > capacity / 2 {
            let skipped = audio.skip(backlog - capacity / 4) as u64;
            self.taken += skipped;
            self.queues
                .counters
                .dropped
                .fetch_add(skipped, Ordering::Relaxed);
        }
        let n = audio.pop_slice(block);
        self.taken += n as u64;
        n
    }

    /// Updates the snapshot's timing figures after the windows in `output`.
    fn report(&self, snapshot: &mut LiveSnapshot, output: &LiveOutput) {
        let per_window = output.inference.as_secs_f32() * 1000.0 / output.windows as f32;
        snapshot.last_inference_ms = per_window;
        snapshot.windows += output.windows as u64;
        snapshot.inference_ms = if snapshot.inference_ms == 0.0 {
            per_window
        } else {
            0.8 * snapshot.inference_ms + 0.2 * per_window
        };
        let counters = &self.queues.counters;
        let rate = f64::from(self.queues.sample_rate);
        let received = counters.received.load(Ordering::Relaxed);
        let shown = self.origin.position(&self.queues, snapshot.now());
        snapshot.latency_ms = (received.saturating_sub(shown) as f64 / rate * 1000.0) as f32;
        snapshot.midi_delay_ms =
            (counters.midi_delay.load(Ordering::Relaxed) as f64 / rate * 1000.0) as f32;
        snapshot.dropped_samples = counters.dropped.load(Ordering::Relaxed);
    }

    /// Discards what was queued before the restart (and only that) and moves the analysis
    /// clock's origin to the restart point.
    fn start_at_restart(&mut self) {
        let counters = &self.queues.counters;
        let entered = counters.restart_entered.load(Ordering::Relaxed);
        let stale = entered.saturating_sub(self.taken) as usize;
        self.taken += self.queues.audio.skip(stale) as u64;
        self.origin = StreamOrigin {
            sample: counters.restart_received.load(Ordering::Relaxed),
            dropped: counters.dropped.load(Ordering::Relaxed),
        };
        self.analysed = 0;
    }

    /// Moves the analysis clock's origin to the end of what it has analysed: the analysis
    /// started over in the middle of the stream.
    fn start_after_analysed(&mut self) {
        let dropped = self.queues.counters.dropped.load(Ordering::Relaxed);
        self.origin = StreamOrigin {
            sample: self.origin.sample
                + self.analysed
                + dropped.saturating_sub(self.origin.dropped),
            dropped,
        };
        self.analysed = 0;
    }

    /// Queues the MIDI for `events` in stream order. A note is announced a few frames after it
    /// starts, so its start can come after the end of a note that started earlier; messages
    /// wait in `held` until no later event can fall before them (`settled`, analysis seconds;
    /// `None` sends everything). Note-offs always go out, so switching MIDI out off
    /// (`enabled`) never leaves a note hanging.
    fn send_midi(&mut self, events: &[NoteEvent], settled: Option<f64>, enabled: bool) {
        self.messages.clear();
        for event in events {
            let (origin, queues) = (&self.origin, &self.queues);
            self.midi.messages(
                event,
                |seconds| origin.position(queues, seconds),
                &mut self.messages,
            );
        }
        self.held.extend(
            self.messages
                .iter()
                .filter(|m| enabled || matches!(m.kind, MidiKind::NoteOff { .. })),
        );
        // Stable: a programme change stays before the note it announces.
        self.held.sort_by_key(|m| m.sample);
        let ready = settled.map_or(self.held.len(), |seconds| {
            let bound = self.origin.position(&self.queues, seconds);
            self.held.partition_point(|m| m.sample < bound)
        });
        for message in self.held.drain(..ready) {
            let _ = self.queues.midi.try_push(message);
        }
    }
}
