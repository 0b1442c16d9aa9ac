//! `timbrescope analyze`: every input file through the engine, outputs written per file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use timbrescope_engine::analysis::{Analysis, Analyzer};
use timbrescope_engine::compute::select_device;
use timbrescope_engine::input::audio_file::read_mono;
use timbrescope_engine::networks::basic_pitch::BasicPitch;
use timbrescope_engine::networks::model_file::load_or_built_in;
use timbrescope_engine::outputs::midi_file::notes_to_midi;
use timbrescope_engine::outputs::prediction::PredictionFile;

use crate::AnalyzeArgs;
use timbrescope_engine::outputs::report::write_report;
use timbrescope_engine::timeline::{HEARD_MIN_SECONDS, HEARD_THRESHOLD};

/// Files longer than this get a progress bar.
const PROGRESS_MIN_SECONDS: f64 = 5.0;

/// Runs the command; the exit code is non-zero when any input failed.
pub fn run(args: &AnalyzeArgs) -> ExitCode {
    let compute = match select_device(args.backend) {
        Ok(compute) => compute,
        Err(e) => {
            eprintln!("error: {e} (use --backend cpu or auto)");
            return ExitCode::FAILURE;
        }
    };
    let (model, model_error) = load_or_built_in(args.model.as_deref(), &compute.device);
    if let Some(e) = model_error {
        eprintln!("warning: {e}; using the built-in model instead");
    }
    let hop_frames = (args.hop_ms / 10) as usize;
    let mut analyzer = Analyzer::new(model, compute, hop_frames);
    if args.pitch_bends {
        analyzer = analyzer.with_pitch_bends();
    }
    let mut note_weights = "built-in weights".to_owned();
    if let Some(path) = &args.note_weights {
        match BasicPitch::from_file(path, &analyzer.compute().device) {
            Ok(network) => {
                analyzer = analyzer.with_note_network(network);
                note_weights = path.display().to_string();
            }
            Err(e) => eprintln!("warning: {e}; using the built-in weights instead"),
        }
    }
    eprintln!(
        "model: {}, notes from basic-pitch ({note_weights}), inference on {}",
        analyzer.model().sidecar.name,
        analyzer.compute().description
    );
    let several = args.inputs.len() > 1;
    let mut failed = 0usize;
    for input in &args.inputs {
        if let Err(e) = analyze_one(&analyzer, input, args, several) {
            eprintln!("error: {e:#}");
            failed += 1;
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {} files failed", args.inputs.len());
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Where output `kind` of `input` goes: `out` itself for one input, else `out/<stem>.<ext>`.
fn output_path(out: &Path, input: &Path, ext: &str, several: bool) -> PathBuf {
    if several || out.is_dir() {
        let stem = input.file_stem().unwrap_or(input.as_os_str());
        out.join(Path::new(stem).with_extension(ext))
    } else {
        out.to_owned()
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create folder", dir.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("{}: cannot write", path.display()))
}

fn analyze_one(analyzer: &Analyzer, input: &Path, args: &AnalyzeArgs, several: bool) -> Result<()> {
    let audio = read_mono(input)?;
    let bar = if audio.duration_s() > PROGRESS_MIN_SECONDS {
        let bar = ProgressBar::new(0).with_message(input.display().to_string());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} windows, {eta} left")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let analysis = analyzer
        .analyze(&audio, &mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .with_context(|| input.display().to_string())?;
    bar.finish_and_clear();

    if let Some(out) = &args.json {
        let path = output_path(out, input, "json", several);
        let json =
            serde_json::to_vec(&PredictionFile::from_analysis(&analysis)).expect("serialisable");
        write_file(&path, &json)?;
    }
    if let Some(out) = &args.midi {
        let path = output_path(out, input, "mid", several);
        write_file(
            &path,
            &notes_to_midi(&analysis.notes, &analysis.predictions.classes),
        )?;
    }
    if let Some(out) = &args.png {
        let path = output_path(out, input, "png", several);
        write_report(&analysis, &input.display().to_string(), &path)
            .with_context(|| format!("{}: cannot draw report", path.display()))?;
    }
    println!("{}", summary(input, audio.duration_s(), &analysis));
    Ok(())
}

/// One line per file: length, the instruments heard (by the live view's rule: activity at or
/// above [`HEARD_THRESHOLD`] for at least [`HEARD_MIN_SECONDS`]) with their seconds, most
/// heard first, and the note count.
fn summary(input: &Path, seconds: f64, analysis: &Analysis) -> String {
    let p = &analysis.predictions;
    let mut heard: Vec<(String, f32)> = p
        .classes
        .names()
        .into_iter()
        .zip(p.heard_seconds(HEARD_THRESHOLD))
        .filter(|&(_, seconds)| seconds >= HEARD_MIN_SECONDS)
        .collect();
    heard.sort_by(|a, b| b.1.total_cmp(&a.1));
    let instruments = if heard.is_empty() {
        "no instrument heard".to_string()
    } else {
        let named: Vec<String> = heard
            .iter()
            .map(|(name, seconds)| format!("{name} {seconds:.1} s"))
            .collect();
        format!("heard: {}", named.join(", "))
    };
    format!(
        "{}: {seconds:.1} s, {instruments}; {} notes",
        input.display(),
        analysis.notes.len()
    )
}
