//! The editor in a window of its own: the plugin inside nice-plug's standalone wrapper, which
//! provides the audio (JACK where a server runs, ALSA otherwise) and the window.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use timbrescope::Timbrescope;
use timbrescope::player::{play_file, playing_view};
use timbrescope_engine::timeline::HEARD_MIN_SECONDS;

use crate::listen::Notifications;
use crate::presence::Presence;
use timbrescope_engine::input::audio_file::read_mono;

/// Why there is no window to open, if there is none.
fn missing_display() -> Option<&'static str> {
    let has = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    (cfg!(target_os = "linux") && !has("DISPLAY") && !has("WAYLAND_DISPLAY")).then_some(
        "no display to open the window on (DISPLAY is not set). Without a display, \
         `timbrescope listen` prints the instruments of live input and `timbrescope analyze FILE` \
         analyses a file.",
    )
}

/// When the window runs on JACK (the wrapper takes JACK first whenever a server runs):
/// tells the wrapper the server's rate and buffer size, which its JACK backend does not pass
/// on to the plugin by itself (it reports its 48 kHz default), and ends the program with a
/// message if the server goes away, where the wrapper would keep a window with no audio.
fn follow_jack_server(audio_args: &mut Vec<String>) {
    let forced_other = audio_args
        .windows(2)
        .any(|w| matches!(w[0].as_str(), "-b" | "--backend") && w[1] != "jack" && w[1] != "auto");
    if forced_other {
        return;
    }
    let Ok((client, _)) =
        jack::Client::new("timbrescope-watch", jack::ClientOptions::NO_START_SERVER)
    else {
        return;
    };
    let given =
        |args: &[String], names: [&str; 2]| args.iter().any(|a| names.contains(&a.as_str()));
    if !given(audio_args, ["-r", "--sample-rate"]) {
        audio_args.extend(["--sample-rate".into(), client.sample_rate().to_string()]);
    }
    if !given(audio_args, ["-p", "--period-size"]) {
        audio_args.extend(["--period-size".into(), client.buffer_size().to_string()]);
    }
    let gone = Arc::new(AtomicBool::new(false));
    let Ok(active) = client.activate_async(Notifications { gone: gone.clone() }, ()) else {
        return;
    };
    std::thread::spawn(move || {
        while !gone.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
        }
        eprintln!("error: the JACK server stopped, so the audio input is gone; exiting");
        std::mem::forget(active);
        // `_exit`, not `exit`: the editor's render thread and the wrapper's JACK threads are
        // still running, and `exit` runs the C libraries' exit handlers (libjack, Mesa) under
        // them. CI saw this path end by a signal instead of this exit code about once in ten
        // runs; those handlers are the suspected cause (it never reproduced in isolation).
        // SAFETY: `_exit` only ends the process; stderr is unbuffered, so nothing is lost.
        unsafe { libc::_exit(1) };
    });
}

fn run_wrapper(mut audio_args: Vec<String>) -> ExitCode {
    if let Some(reason) = missing_display() {
        eprintln!("error: {reason}");
        return ExitCode::from(2);
    }
    follow_jack_server(&mut audio_args);
    timbrescope::editor::set_extra_controls(crate::audio_settings::controls());
    timbrescope::logging::show_warnings_in_terminal();
    let args = std::iter::once("timbrescope".to_string()).chain(audio_args);
    if nice_plug::prelude::nice_export_standalone_with_args::<Timbrescope, _>(args) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The editor on live input.
pub fn live(audio_args: Vec<String>) -> ExitCode {
    run_wrapper(audio_args)
}

/// The editor on a file that plays to the output.
pub fn play(file: &Path, audio_args: Vec<String>) -> ExitCode {
    let audio = match read_mono(file) {
        Ok(audio) => audio,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    play_file(audio);
    std::thread::spawn(print_what_plays);
    run_wrapper(audio_args)
}

/// Prints instruments as they start and stop while the file plays, and the instruments heard
/// so far (at least [`HEARD_MIN_SECONDS`]) whenever that list grows: a log of the rehearsal.
fn print_what_plays() {
    let view = loop {
        if let Some(view) = playing_view() {
            break view;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut presence = Presence::default();
    let mut lines = Vec::new();
    let mut heard_before = Vec::new();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let Ok(mut reader) = view.reader.lock() else {
            return;
        };
        let snapshot = reader.read();
        lines.clear();
        presence.update(snapshot, view.controls.threshold(), &mut lines);
        let heard: Vec<&str> = snapshot
            .heard(HEARD_MIN_SECONDS)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        if heard.len() > heard_before.len() {
            lines.push(format!(
                "{:8.2} s  heard: {}",
                snapshot.now(),
                heard.join(", ")
            ));
            heard_before = heard.iter().map(|s| s.to_string()).collect();
        }
        drop(reader);
        for line in &lines {
            println!("{line}");
        }
    }
}
