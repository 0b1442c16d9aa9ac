//! A minimal CLAP host (on `clack-host`) that loads the bundled `timbrescope.clap`, runs
//! audio through it block by block like a DAW would, and collects the output audio, the
//! MIDI it sends and its saved state.

use std::collections::BTreeSet;
use std::ffi::CStr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clack_extensions::audio_ports_config::PluginAudioPortsConfig;
use clack_extensions::params::{ParamInfoBuffer, PluginParams};
use clack_extensions::state::PluginState;
use clack_host::events::Pckn;
use clack_host::events::event_types::{MidiEvent, NoteOffEvent, NoteOnEvent, ParamValueEvent};
use clack_host::prelude::*;

use crate::thread_cost::ThreadCost;

/// The plugin's CLAP id.
const PLUGIN_ID: &CStr = c"org.timbrescope.timbrescope";

struct TestHostShared;

impl SharedHandler<'_> for TestHostShared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = TestHostShared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();
}

/// Where `cargo xtask bundle` puts the test bundle; `TIMBRESCOPE_CLAP_BUNDLE` names another
/// (say, the release bundle, for benchmarks).
pub fn clap_bundle() -> PathBuf {
    if let Some(path) = std::env::var_os("TIMBRESCOPE_CLAP_BUNDLE") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("bundled/timbrescope.clap");
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo xtask bundle timbrescope --features \
         timbrescope/assert_process_allocs,timbrescope/fault_injection` (`cargo xtask test` \
         does)",
        path.display()
    );
    path
}

/// A MIDI message the plugin sent, at the absolute sample position of its block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MidiOut {
    /// Note on.
    On {
        /// Sample position in the stream.
        sample: u64,
        /// Channel.
        channel: u8,
        /// Key.
        key: u8,
    },
    /// Note off.
    Off {
        /// Sample position.
        sample: u64,
        /// Channel.
        channel: u8,
        /// Key.
        key: u8,
    },
    /// Programme change.
    Program {
        /// Sample position.
        sample: u64,
        /// Channel.
        channel: u8,
        /// GM programme.
        program: u8,
    },
}

/// Everything one run produced.
pub struct HostRun {
    /// Output channels, as long as the input.
    pub output: Vec<Vec<f32>>,
    /// MIDI out, in order.
    pub midi: Vec<MidiOut>,
    /// The state the plugin saved after deactivation (nice-plug writes JSON).
    pub state: serde_json::Value,
    /// Wall time spent inside the plugin's process calls.
    pub process_time: Duration,
    /// Process calls made.
    pub blocks: usize,
}

/// How the host feeds the plugin.
#[derive(Debug, Clone, Copy)]
pub struct HostSettings {
    /// Sample rate.
    pub rate: u32,
    /// Samples per process call.
    pub block: usize,
    /// Audio seconds per wall second (1.0 = real time); 0 runs as fast as possible.
    pub speed: f64,
}

fn collect_midi(events: &EventBuffer, block_start: u64, out: &mut Vec<MidiOut>) {
    for event in events.iter() {
        let sample = block_start + u64::from(event.header().time());
        if let Some(on) = event.as_event::<NoteOnEvent>() {
            let pckn = on.pckn();
            out.push(MidiOut::On {
                sample,
                channel: pckn.channel.into_specific().unwrap_or(0) as u8,
                key: pckn.key.into_specific().unwrap_or(0) as u8,
            });
        } else if let Some(off) = event.as_event::<NoteOffEvent>() {
            let pckn = off.pckn();
            out.push(MidiOut::Off {
                sample,
                channel: pckn.channel.into_specific().unwrap_or(0) as u8,
                key: pckn.key.into_specific().unwrap_or(0) as u8,
            });
        } else if let Some(midi) = event.as_event::<MidiEvent>() {
            let [status, data, _] = midi.data();
            if status & 0xF0 == 0xC0 {
                out.push(MidiOut::Program {
                    sample,
                    channel: status & 0x0F,
                    program: data,
                });
            }
        }
    }
}

/// A parameter as the plugin describes it: what a host automates.
#[derive(Debug, Clone)]
pub struct ParamRange {
    /// Its display name.
    pub name: String,
    /// The parameter's CLAP id.
    pub id: ClapId,
    /// Lowest plain value.
    pub min: f64,
    /// Highest plain value.
    pub max: f64,
}

/// A loaded plugin instance (main-thread side).
pub struct LoadedPlugin {
    instance: PluginInstance<TestHost>,
    _entry: PluginEntry,
}

impl Default for LoadedPlugin {
    fn default() -> Self {
        Self::load()
    }
}

impl LoadedPlugin {
    /// Loads the bundle and instantiates the plugin.
    pub fn load() -> Self {
        // SAFETY: the bundle is this workspace's own plugin, built by `cargo xtask bundle`;
        // loading it runs only nice-plug's entry point.
        let entry = unsafe { PluginEntry::load(clap_bundle()) }.expect("the bundle loads");
        let host_info = HostInfo::new(
            "Timbrescope test host",
            "Timbrescope",
            "https://timbrescope.invalid",
            "1.0",
        )
        .expect("valid host info");
        let instance = PluginInstance::<TestHost>::new(
            |_| TestHostShared,
            |_| (),
            &entry,
            PLUGIN_ID,
            &host_info,
        )
        .expect("the plugin instantiates");
        Self {
            instance,
            _entry: entry,
        }
    }

    /// The plugin's parameters, in its order.
    pub fn params(&mut self) -> Vec<ParamRange> {
        let params: PluginParams = self
            .instance
            .plugin_shared_handle()
            .get_extension()
            .expect("the plugin has parameters");
        let handle = self.instance.plugin_handle();
        let mut buffer = ParamInfoBuffer::new();
        (0..params.count(&handle))
            .filter_map(|index| {
                let info = params.get_info(&handle, index, &mut buffer)?;
                Some(ParamRange {
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    id: info.id,
                    min: info.min_value,
                    max: info.max_value,
                })
            })
            .collect()
    }

    /// Activates for `channels` channels at `rate` with blocks up to `max_block` samples and
    /// starts processing.
    pub fn activate(&mut self, channels: usize, rate: u32, max_block: usize) -> Blocks {
        // The plugin's layouts: stereo (configuration 0) and mono (1), chosen as a host does.
        let ports: PluginAudioPortsConfig = self
            .instance
            .plugin_shared_handle()
            .get_extension()
            .expect("the plugin offers its channel layouts");
        let layout = ClapId::new(u32::from(channels == 1));
        ports
            .select(&self.instance.plugin_handle(), layout)
            .expect("the layout is selected");
        let config = PluginAudioConfiguration {
            sample_rate: f64::from(rate),
            min_frames_count: 1,
            max_frames_count: max_block as u32,
        };
        let processor = self
            .instance
            .activate(|_, _| (), config)
            .expect("the plugin activates")
            .start_processing()
            .expect("processing starts");
        Blocks {
            processor: Some(processor),
            inputs: vec![vec![0.0; max_block]; channels],
            outputs: vec![vec![0.0; max_block]; channels],
            in_ports: AudioPorts::with_capacity(channels, 1),
            out_ports: AudioPorts::with_capacity(channels, 1),
            in_events: EventBuffer::new(),
            out_events: EventBuffer::with_capacity(1024),
            position: 0,
            midi: Vec::new(),
            last_call: ThreadCost::default(),
        }
    }

    /// Stops processing and deactivates.
    pub fn deactivate(&mut self, mut blocks: Blocks) {
        let processor = blocks.processor.take().expect("processing");
        self.instance.deactivate(processor.stop_processing());
    }

    fn state_extension(&mut self) -> PluginState {
        self.instance
            .plugin_shared_handle()
            .get_extension()
            .expect("the plugin saves state")
    }

    /// The state blob the plugin saves, as a host stores it in a project.
    pub fn state_blob(&mut self) -> Vec<u8> {
        let state = self.state_extension();
        let mut saved = Vec::new();
        state
            .save(&self.instance.plugin_handle(), &mut saved)
            .expect("state saves");
        saved
    }

    /// Loads a state blob, as a host opening a project does; whether the plugin took it.
    pub fn load_state(&mut self, mut blob: &[u8]) -> bool {
        let state = self.state_extension();
        state
            .load(&self.instance.plugin_handle(), &mut blob)
            .is_ok()
    }

    /// The state the plugin saves (nice-plug writes a little-endian u64 length, then JSON).
    pub fn saved_state(&mut self) -> serde_json::Value {
        let saved = self.state_blob();
        let json = saved.get(8..).expect("the state starts with its length");
        serde_json::from_slice(json).expect("the state is JSON")
    }
}

/// The audio side of an active instance, with its buffers.
pub struct Blocks {
    processor: Option<StartedPluginAudioProcessor<TestHost>>,
    inputs: Vec<Vec<f32>>,
    outputs: Vec<Vec<f32>>,
    in_ports: AudioPorts,
    out_ports: AudioPorts,
    in_events: EventBuffer,
    out_events: EventBuffer,
    position: u64,
    /// MIDI the plugin sent so far.
    pub midi: Vec<MidiOut>,
    /// What the last `process()` call cost the calling thread.
    pub last_call: ThreadCost,
}

impl Blocks {
    /// Sets parameter `param` to the plain `value` at the start of the next block, as a
    /// host's automation does.
    pub fn automate(&mut self, param: ClapId, value: f64) {
        self.in_events
            .push(&ParamValueEvent::new(0, param, Pckn::match_all(), value));
    }

    /// Stops processing and starts it again (a transport stop and play in some hosts).
    pub fn stop_and_start(&mut self) {
        let processor = self.processor.take().expect("processing");
        let started = processor
            .stop_processing()
            .start_processing()
            .map_err(|e| e.to_string())
            .expect("processing starts again");
        self.processor = Some(started);
    }

    /// Processes one block: `input` is one slice per channel, all the same length (at most
    /// the activated maximum). Returns the output channels.
    pub fn process(&mut self, input: &[&[f32]]) -> Vec<&[f32]> {
        let n = input[0].len();
        for (buffer, channel) in self.inputs.iter_mut().zip(input) {
            buffer[..n].copy_from_slice(channel);
        }
        let inputs = self.in_ports.with_input_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(
                self.inputs
                    .iter_mut()
                    .map(|b| InputChannel::variable(&mut b[..n])),
            ),
        }]);
        let mut outputs = self.out_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(
                self.outputs.iter_mut().map(|b| &mut b[..n]),
            ),
        }]);
        self.out_events.clear();
        let processor = self.processor.as_mut().expect("processing");
        let before = ThreadCost::now();
        processor
            .process(
                &inputs,
                &mut outputs,
                &InputEvents::from_buffer(&self.in_events),
                &mut OutputEvents::from_buffer(&mut self.out_events),
                Some(self.position),
                None,
            )
            .expect("process succeeds");
        self.last_call = ThreadCost::now().since(&before);
        self.in_events.clear();
        collect_midi(&self.out_events, self.position, &mut self.midi);
        self.position += n as u64;
        self.outputs.iter().map(|b| &b[..n]).collect()
    }
}

/// Runs `input` (one slice per channel; 1 or 2 channels) through a fresh plugin instance,
/// then `tail_seconds` of silence so the analysis catches up, then deactivates and saves.
pub fn run_plugin(input: &[Vec<f32>], settings: HostSettings, tail_seconds: f64) -> HostRun {
    let mut plugin = LoadedPlugin::load();
    let mut blocks = plugin.activate(input.len(), settings.rate, settings.block);
    let length = input[0].len();
    let total = length + (tail_seconds * f64::from(settings.rate)) as usize;
    let mut output = vec![Vec::with_capacity(length); input.len()];
    let mut scratch = vec![vec![0.0f32; settings.block]; input.len()];
    let mut process_time = Duration::ZERO;
    let started = Instant::now();
    let mut position = 0;
    let mut count = 0;
    while position < total {
        let n = settings.block.min(total - position);
        for (buffer, channel) in scratch.iter_mut().zip(input) {
            for (i, sample) in buffer[..n].iter_mut().enumerate() {
                *sample = channel.get(position + i).copied().unwrap_or(0.0);
            }
        }
        let block: Vec<&[f32]> = scratch.iter().map(|b| &b[..n]).collect();
        let began = Instant::now();
        let out = blocks.process(&block);
        process_time += began.elapsed();
        count += 1;
        if position + n <= length {
            for (channel, samples) in output.iter_mut().zip(out) {
                channel.extend_from_slice(samples);
            }
        } else if position < length {
            for (channel, samples) in output.iter_mut().zip(out) {
                channel.extend_from_slice(&samples[..length - position]);
            }
        }
        position += n;
        if settings.speed > 0.0 {
            let due = Duration::from_secs_f64(
                position as f64 / f64::from(settings.rate) / settings.speed,
            );
            if let Some(wait) = due.checked_sub(started.elapsed())
                && wait > Duration::from_millis(2)
            {
                std::thread::sleep(wait);
            }
        }
    }
    let midi = std::mem::take(&mut blocks.midi);
    plugin.deactivate(blocks);
    HostRun {
        output,
        midi,
        state: plugin.saved_state(),
        process_time,
        blocks: count,
    }
}

/// The instruments a saved state says the plugin heard (its `heard` field, which nice-plug
/// stores as a JSON string).
pub fn heard_in_state(state: &serde_json::Value) -> BTreeSet<String> {
    let field = state["fields"]["heard"]
        .as_str()
        .unwrap_or_else(|| panic!("no `heard` field in the saved state: {state}"));
    let heard: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(field).expect("`heard` is a JSON object");
    heard.keys().cloned().collect()
}
