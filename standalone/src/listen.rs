//! `timbrescope listen`: live analysis in a terminal. Audio comes from JACK when a server
//! runs (or `--backend jack`), from ALSA otherwise (cpal); the analysis worker is the plugin's;
//! each instrument prints one line when it starts and one when it stops.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use timbrescope_engine::compute::BackendChoice;
use timbrescope_engine::live::controls::WorkerControls;
use timbrescope_engine::live::feed::AudioFeed;
use timbrescope_engine::live::snapshot::{WorkerState, snapshot_channel};
use timbrescope_engine::live::worker::Worker;

use crate::ListenArgs;
use crate::presence::Presence;

/// How often the terminal view reads the worker's results.
const POLL: Duration = Duration::from_millis(50);

/// Where the audio comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AudioBackend {
    /// JACK if a server runs, else ALSA.
    Auto,
    /// A running JACK server.
    Jack,
    /// ALSA through cpal.
    Alsa,
}

/// A running audio input; dropping it stops the stream.
struct Input {
    /// "JACK" or "ALSA".
    source: &'static str,
    _stream: Box<dyn std::any::Any>,
}

type JackProcess = Box<dyn FnMut(&jack::Client, &jack::ProcessScope) -> jack::Control + Send>;

/// Tells the main loop when the JACK server goes away.
pub struct Notifications {
    /// Set when the server shuts down.
    pub gone: Arc<AtomicBool>,
}

impl jack::NotificationHandler for Notifications {
    unsafe fn shutdown(&mut self, _status: jack::ClientStatus, _reason: &str) {
        self.gone.store(true, Ordering::Relaxed);
    }
}

fn open_jack(
    connect: Option<&str>,
    controls: &Arc<WorkerControls>,
    writer: timbrescope_engine::live::snapshot::SnapshotWriter,
    gone: &Arc<AtomicBool>,
) -> Result<(Input, Worker, u32), String> {
    let (client, _) = jack::Client::new("timbrescope-listen", jack::ClientOptions::NO_START_SERVER)
        .map_err(|e| format!("no JACK server: {e}"))?;
    let rate = client.sample_rate();
    let port = client
        .register_port("in", jack::AudioIn::default())
        .map_err(|e| format!("cannot register a JACK input: {e}"))?;
    let (worker, mut feed) = Worker::start(rate, controls.clone(), writer)
        .map_err(|e| format!("cannot start the analysis thread: {e}"))?;
    let process: JackProcess = Box::new(move |_, scope| {
        feed.push_block(&[port.as_slice(scope)]);
        jack::Control::Continue
    });
    let client = client
        .activate_async(
            Notifications { gone: gone.clone() },
            jack::contrib::ClosureProcessHandler::new(process),
        )
        .map_err(|e| format!("cannot start the JACK client: {e}"))?;
    if let Some(source) = connect {
        client
            .as_client()
            .connect_ports_by_name(source, "timbrescope-listen:in")
            .map_err(|e| format!("cannot connect {source}: {e}"))?;
    }
    Ok((
        Input {
            source: "JACK",
            _stream: Box::new(client),
        },
        worker,
        rate,
    ))
}

fn open_alsa(
    device: Option<&str>,
    controls: &Arc<WorkerControls>,
    writer: timbrescope_engine::live::snapshot::SnapshotWriter,
    gone: &Arc<AtomicBool>,
) -> Result<(Input, Worker, u32), String> {
    let host = cpal::default_host();
    let device = match device {
        Some(name) => host
            .input_devices()
            .map_err(|e| e.to_string())?
            .find(|d| d.description().is_ok_and(|desc| desc.name() == name))
            .ok_or_else(|| format!("no input device named '{name}' (see `timbrescope devices`)"))?,
        None => host
            .default_input_device()
            .ok_or("no input device (see `timbrescope devices`)")?,
    };
    let config = device
        .default_input_config()
        .map_err(|e| format!("the input device has no usable configuration: {e}"))?;
    let rate = config.sample_rate();
    let channels = usize::from(config.channels());
    let (worker, mut feed): (Worker, AudioFeed) = Worker::start(rate, controls.clone(), writer)
        .map_err(|e| format!("cannot start the analysis thread: {e}"))?;
    let gone = gone.clone();
    let stream = device
        .build_input_stream(
            config.config(),
            move |data: &[f32], _| feed.push_interleaved(data, channels),
            move |_| gone.store(true, Ordering::Relaxed),
            None,
        )
        .map_err(|e| format!("cannot open the input: {e}"))?;
    stream
        .play()
        .map_err(|e| format!("cannot start the input: {e}"))?;
    Ok((
        Input {
            source: "ALSA",
            _stream: Box::new(stream),
        },
        worker,
        rate,
    ))
}

/// Runs until Ctrl-C or until the input goes away.
pub fn run(args: &ListenArgs) -> ExitCode {
    let controls = Arc::new(WorkerControls::default());
    controls.set_threshold(args.threshold);
    controls.set_backend(BackendChoice::Auto);
    let (writer, mut reader) = snapshot_channel();
    let gone = Arc::new(AtomicBool::new(false));
    let opened = match args.backend {
        AudioBackend::Jack => open_jack(args.connect.as_deref(), &controls, writer, &gone),
        AudioBackend::Alsa => open_alsa(args.device.as_deref(), &controls, writer, &gone),
        AudioBackend::Auto => {
            // The writer moves into the first attempt; a fresh channel serves the fallback.
            let (jack_writer, jack_reader) = snapshot_channel();
            match open_jack(args.connect.as_deref(), &controls, jack_writer, &gone) {
                Ok(opened) => {
                    reader = jack_reader;
                    Ok(opened)
                }
                Err(_) => open_alsa(args.device.as_deref(), &controls, writer, &gone),
            }
        }
    };
    let (input, worker, rate) = match opened {
        Ok(opened) => opened,
        Err(reason) => {
            eprintln!("error: {reason}");
            return ExitCode::from(2);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed));
    }
    let source = input.source;
    eprintln!("listening ({source}, {rate} Hz); Ctrl-C stops");
    let mut presence = Presence::default();
    let mut lines = Vec::new();
    let mut restarts_told = 0;
    let code = loop {
        std::thread::sleep(POLL);
        let snapshot = reader.read();
        match &snapshot.state {
            WorkerState::Failed(reason) => {
                eprintln!("error: {reason}");
                break ExitCode::FAILURE;
            }
            WorkerState::Restarting(reason) if snapshot.restarts > restarts_told => {
                restarts_told = snapshot.restarts;
                eprintln!("warning: {reason}; starting the analysis again");
            }
            _ => {}
        }
        lines.clear();
        presence.update(snapshot, args.threshold, &mut lines);
        for line in &lines {
            println!("{line}");
        }
        if gone.load(Ordering::Relaxed) {
            eprintln!("the audio input went away ({source} stopped); exiting");
            break ExitCode::FAILURE;
        }
        if stop.load(Ordering::Relaxed) {
            break ExitCode::SUCCESS;
        }
    };
    drop(input);
    drop(worker);
    code
}

/// `timbrescope devices`: JACK ports to listen to (when a server runs) and ALSA input devices.
pub fn list_devices() -> ExitCode {
    let inputs = crate::audio_settings::inputs();
    for (jack, heading) in [
        (true, "JACK outputs to listen to (--connect)"),
        (false, "ALSA input devices (--device)"),
    ] {
        println!("{heading}:");
        let mut any = false;
        for input in inputs.iter().filter(|i| i.jack == jack) {
            println!("  {} ({})", input.name, input.detail);
            any = true;
        }
        if !any {
            println!("  none");
        }
    }
    ExitCode::SUCCESS
}
