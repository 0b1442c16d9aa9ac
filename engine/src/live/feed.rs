//! The audio thread's end of the worker: downmixing blocks into a wait-free queue, transport
//! restarts, and MIDI out at a constant delay behind the audio. Nothing here allocates, locks
//! or waits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ringbuf::traits::{Consumer, Producer};
use ringbuf::{HeapCons, HeapProd};

use crate::features::FRAMES_PER_SECOND;
use crate::live::midi::{MidiKind, MidiMessage};

/// Delay of MIDI out behind the audio at the start; it grows if the analysis needs longer.
/// basic-pitch hands a frame out up to 0.67 s after it is heard (its 0.5 s hop plus 15 frames of
/// right context) and a note counts after 0.13 s, so 1 s leaves room for the network's own time.
pub const INITIAL_MIDI_DELAY_SECONDS: f64 = 1.0;

/// Counters the audio side and the worker share. Sample counts run on across restarts, so
/// MIDI positions and the audio side's clock never disagree about where a restart was.
#[derive(Debug, Default)]
pub(crate) struct StreamCounters {
    /// Samples the audio side has seen.
    pub(crate) received: AtomicU64,
    /// Samples lost because the worker fell behind.
    pub(crate) dropped: AtomicU64,
    /// Samples MIDI out runs behind the audio it describes.
    pub(crate) midi_delay: AtomicU64,
    /// Set by a restart, cleared by the worker when it starts the stream over.
    pub(crate) restart: AtomicBool,
    /// Samples that had entered the queue at the last restart: the worker discards up to
    /// there, and no further, however late it notices.
    pub(crate) restart_entered: AtomicU64,
    /// `received` at the last restart: where the new stream starts.
    pub(crate) restart_received: AtomicU64,
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
    /// The audio side's end of a worker's queues, for a stream at `sample_rate`.
    pub(crate) fn new(
        audio: HeapProd<f32>,
        midi: HeapCons<MidiMessage>,
        counters: Arc<StreamCounters>,
        sample_rate: u32,
    ) -> Self {
        Self {
            audio,
            midi,
            counters,
            received: 0,
            entered: 0,
            midi_delay: (f64::from(sample_rate) * INITIAL_MIDI_DELAY_SECONDS) as u64,
            // One frame of the input: the delay grows a frame at a time.
            midi_delay_step: u64::from(sample_rate / FRAMES_PER_SECOND as u32).max(1),
        }
    }

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
