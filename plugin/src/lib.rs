//! Timbrescope as a VST3/CLAP plugin: the audio passes through untouched while a worker
//! thread analyses it; the editor shows instrument activity, a streaming pianoroll, what is
//! playing now and the worker's status; detected notes can go out as MIDI.
//!
//! The audio thread only copies parameters into atomics, downmixes into the worker's queue
//! and forwards queued MIDI (see [`timbrescope_engine::live::worker`]).

pub mod editor;
pub mod logging;
pub mod params;
pub mod player;
pub mod shared_view;

use std::sync::{Arc, Mutex};

use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;
use timbrescope_engine::live::controls::WorkerControls;
use timbrescope_engine::live::feed::AudioFeed;
use timbrescope_engine::live::midi::{MidiKind, MidiMessage};
use timbrescope_engine::live::snapshot::{SnapshotWriter, snapshot_channel};
use timbrescope_engine::live::worker::Worker;

use crate::params::TimbrescopeParams;
use crate::player::FilePlayer;
use crate::shared_view::SharedView;

/// The plugin instance.
pub struct Timbrescope {
    params: Arc<TimbrescopeParams>,
    view: Arc<SharedView>,
    writer: Option<SnapshotWriter>,
    worker: Option<Worker>,
    feed: Option<AudioFeed>,
    player: Option<FilePlayer>,
}

impl Default for Timbrescope {
    fn default() -> Self {
        let (writer, reader) = snapshot_channel();
        Self {
            params: Arc::new(TimbrescopeParams::default()),
            view: Arc::new(SharedView {
                reader: Mutex::new(reader),
                controls: Arc::new(WorkerControls::default()),
            }),
            writer: Some(writer),
            worker: None,
            feed: None,
            player: None,
        }
    }
}

impl Timbrescope {
    fn sync_controls(&self) {
        let controls = &self.view.controls;
        controls.set_threshold(self.params.threshold.value());
        controls.set_hop_ms(self.params.hop_ms.value() as u32);
        controls.set_backend(self.params.backend.value().into());
        controls.set_midi_out(self.params.midi_out.value());
    }

    /// A fresh results channel, when the old writer was lost with its worker.
    fn renew_results(&mut self) {
        let (writer, reader) = snapshot_channel();
        self.writer = Some(writer);
        *self.view.reader.lock().unwrap_or_else(|p| p.into_inner()) = reader;
    }

    /// The worker, started on first use and started anew if it gave up; `None` only when
    /// no thread can be started.
    fn running_worker(&mut self) -> Option<&Worker> {
        if self.worker.as_ref().is_some_and(Worker::has_ended)
            && let Some(worker) = self.worker.take()
        {
            self.writer = worker.stop();
        }
        if self.worker.is_none() {
            if self.writer.is_none() {
                self.renew_results();
            }
            let writer = self.writer.take()?;
            match Worker::spawn(self.view.controls.clone(), writer) {
                Ok(worker) => self.worker = Some(worker),
                Err(e) => {
                    nice_error!("cannot start the analysis thread: {e}");
                    // Without a worker the plugin still passes audio through.
                    self.renew_results();
                }
            }
        }
        self.worker.as_ref()
    }

    /// Ends the stream the worker analyses and keeps what it heard with the project. The
    /// worker keeps its model for the next activation; nothing here waits for it.
    fn end_stream(&mut self) {
        if self.feed.take().is_some()
            && let Some(worker) = &self.worker
        {
            worker.end_stream();
        }
        if let Ok(mut reader) = self.view.reader.lock() {
            editor::store_heard(&self.params, reader.read());
        }
    }
}

/// The MIDI event the host gets for a worker message, `timing` samples into the block.
fn note_event(message: &MidiMessage, timing: u32) -> PluginNoteEvent<Timbrescope> {
    match message.kind {
        MidiKind::NoteOn { note, velocity } => NoteEvent::NoteOn {
            timing,
            voice_id: VoiceID::Wildcard,
            channel: Channel::Number(message.channel),
            key: Key::Number(note),
            velocity,
        },
        MidiKind::NoteOff { note } => NoteEvent::NoteOff {
            timing,
            voice_id: VoiceID::Wildcard,
            channel: Channel::Number(message.channel),
            key: Key::Number(note),
            velocity: 0.0,
        },
        MidiKind::ProgramChange { program } => NoteEvent::MidiProgramChange {
            timing,
            channel: message.channel,
            program,
        },
    }
}

impl Plugin for Timbrescope {
    const NAME: &'static str = "Timbrescope";
    const VENDOR: &'static str = "Timbrescope developers";
    const URL: &'static str = "https://timbrescope.invalid";
    const EMAIL: &'static str = "dev@timbrescope.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];
    const MIDI_OUTPUT: MidiConfig = MidiConfig::MidiCCs;
    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type Editor = editor::TimbrescopeEditor;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(self.params.clone(), self.view.clone())
    }

    fn activate(
        &mut self,
        _layout: &AudioIOLayout,
        config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.end_stream();
        self.sync_controls();
        let rate = config.sample_rate.round() as u32;
        self.player = match FilePlayer::for_rate(rate, &self.view) {
            Some(Ok(player)) => Some(player),
            Some(Err(e)) => {
                nice_error!("cannot play the file at {rate} Hz: {e}");
                None
            }
            None => None,
        };
        self.feed = self
            .running_worker()
            .map(|worker| worker.begin_stream(rate));
        true
    }

    fn reset(&mut self) {
        if let Some(feed) = self.feed.as_mut() {
            feed.restart();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        self.sync_controls();
        if let Some(player) = self.player.as_mut() {
            player.fill(buffer.as_slice());
        }
        if let Some(feed) = self.feed.as_mut() {
            let block_len = buffer.samples();
            feed.push_block(buffer.as_slice());
            feed.drain_midi(block_len, |message, timing| {
                // A full host event queue loses the event; nothing here may wait.
                let _ = context.try_send_event(note_event(message, timing));
            });
        }
        ProcessStatus::Normal
    }

    fn deactivate(&mut self) {
        self.end_stream();
    }

    fn setup_logger() -> Option<bool> {
        logging::setup()
    }
}

impl ClapPlugin for Timbrescope {
    const CLAP_ID: &'static str = "org.timbrescope.timbrescope";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Shows which instruments play and which notes each one plays");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Analyzer,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for Timbrescope {
    const VST3_CLASS_ID: [u8; 16] = *b"TimbrescopeAnlz1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Analyzer];
}

nice_export_clap!(Timbrescope);
nice_export_vst3!(Timbrescope);
