//! `timbrescope`: the standalone program. Without a subcommand it opens the plugin's editor
//! on live input (JACK or ALSA, through nice-plug's standalone wrapper); `play` plays a file
//! while analysing it in the same editor; `analyze` turns audio files into instrument
//! activity, pitch activity, notes, MIDI and a PNG report, headless.
//!
//! Built without the `live` feature it is only `analyze`: no audio-device library is linked.

mod analyze;
#[cfg(feature = "live")]
mod audio_settings;
#[cfg(feature = "live")]
mod listen;
#[cfg(feature = "live")]
mod presence;
#[cfg(feature = "live")]
mod window;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use timbrescope_engine::allocator::keep_freed_tensor_memory;
use timbrescope_engine::compute::BackendChoice;

/// See which instruments play and which notes each one plays.
#[derive(Parser)]
#[command(name = "timbrescope", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse audio files (WAV, FLAC, MP3, OGG/Vorbis).
    Analyze(AnalyzeArgs),
    /// Play a file to the output while the editor analyses it (rehearsals, demos).
    #[cfg(feature = "live")]
    Play(PlayArgs),
    /// The editor on live input: `timbrescope` with no subcommand does the same.
    #[cfg(feature = "live")]
    Live(LiveArgs),
    /// Live analysis in the terminal: one line per instrument as it starts and stops.
    #[cfg(feature = "live")]
    Listen(ListenArgs),
    /// List the audio inputs `listen` and the live editor can use.
    #[cfg(feature = "live")]
    Devices,
}

/// Arguments of `timbrescope listen`.
#[cfg(feature = "live")]
#[derive(clap::Args)]
pub struct ListenArgs {
    /// Audio system: JACK when a server runs, ALSA otherwise (auto), or forced.
    #[arg(long, value_enum, default_value = "auto")]
    backend: listen::AudioBackend,
    /// JACK output port to listen to, e.g. `system:capture_1`.
    #[arg(long)]
    connect: Option<String>,
    /// ALSA input device name (see `timbrescope devices`); the default device otherwise.
    #[arg(long)]
    device: Option<String>,
    /// Activity at which an instrument counts as playing.
    #[arg(long, default_value_t = 0.5)]
    threshold: f32,
}

/// Arguments of `timbrescope play`.
#[cfg(feature = "live")]
#[derive(clap::Args)]
pub struct PlayArgs {
    /// The audio file to play.
    file: PathBuf,
    /// Audio options (`--backend jack|alsa|dummy`, `--sample-rate`, `--period-size`,
    /// `--output-device`, …; `timbrescope live --help` lists them).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    audio: Vec<String>,
}

/// Arguments of `timbrescope live`.
#[cfg(feature = "live")]
#[derive(clap::Args)]
pub struct LiveArgs {
    /// Audio options: `--backend jack|alsa|dummy`, `--input-device`, `--sample-rate`,
    /// `--period-size`, `--connect-jack-inputs`, … (`--help` after them lists all).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    audio: Vec<String>,
}

/// Arguments of `timbrescope analyze`.
#[derive(clap::Args)]
pub struct AnalyzeArgs {
    /// Audio files to analyse; a failing file is reported and the others still run.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Write the prediction JSON here (a directory when several inputs are given).
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Write the detected notes as a MIDI file, one track per instrument.
    #[arg(long, value_name = "OUT")]
    midi: Option<PathBuf>,
    /// Write a PNG report: activity lanes and a pianoroll coloured by instrument.
    #[arg(long, value_name = "OUT")]
    png: Option<PathBuf>,
    /// Where inference runs: a hardware GPU if present (auto), or forced cpu / gpu.
    #[arg(long, default_value = "auto", value_parser = clap::value_parser!(BackendChoice))]
    backend: BackendChoice,
    /// A model file (.bpk with its .json sidecar); the built-in model is used otherwise.
    #[arg(long, value_name = "MODEL")]
    model: Option<PathBuf>,
    /// basic-pitch weights (.bpk) to transcribe notes with: basic-pitch's own
    /// (`assets/basic-pitch/nmp.bpk`) or a fine-tuning run's; the built-in fine-tuned ones
    /// otherwise.
    #[arg(long, value_name = "BPK")]
    note_weights: Option<PathBuf>,
    /// Give each note its pitch bend from basic-pitch's pitch contour: a `bend` curve per note
    /// in the JSON, pitch-bend messages in the MIDI file where a note sounds alone on its channel.
    #[arg(long)]
    pitch_bends: bool,
    /// Hop between 1 s analysis windows, in milliseconds (10–1000).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(10..=1000))]
    hop_ms: u32,
}

fn main() -> ExitCode {
    keep_freed_tensor_memory();
    #[cfg(feature = "live")]
    if let Some(code) = bare_live_editor() {
        return code;
    }
    match Cli::parse().command {
        Command::Analyze(args) => analyze::run(&args),
        #[cfg(feature = "live")]
        Command::Play(args) => window::play(&args.file, args.audio),
        #[cfg(feature = "live")]
        Command::Live(args) => window::live(args.audio),
        #[cfg(feature = "live")]
        Command::Listen(args) => listen::run(&args),
        #[cfg(feature = "live")]
        Command::Devices => listen::list_devices(),
    }
}

/// Bare `timbrescope [audio options]` is the live editor; `None` when a subcommand was given.
#[cfg(feature = "live")]
fn bare_live_editor() -> Option<ExitCode> {
    // Bare `timbrescope [audio options]` is the live editor.
    let args: Vec<String> = std::env::args().collect();
    let subcommand = args.get(1).map(String::as_str);
    let known = [
        "analyze",
        "play",
        "live",
        "listen",
        "devices",
        "help",
        "-h",
        "--help",
        "-V",
        "--version",
    ];
    subcommand
        .is_none_or(|s| !known.contains(&s))
        .then(|| window::live(args.into_iter().skip(1).collect()))
}
