//! The editor in a window of its own: the plugin inside nice-plug's standalone wrapper, which
//! provides the audio (JACK where a server runs, ALSA otherwise) and the window.

use std::path::Path;
use std::process::ExitCode;

use timbrescope::Timbrescope;
use timbrescope::player::play_file;
use timbrescope_engine::audio_file::read_mono;

/// Why there is no window to open, if there is none.
fn missing_display() -> Option<&'static str> {
    let has = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    (cfg!(target_os = "linux") && !has("DISPLAY") && !has("WAYLAND_DISPLAY")).then_some(
        "no display to open the window on (DISPLAY is not set). Without a display, \
         `timbrescope listen` prints the instruments of live input and `timbrescope analyze FILE` \
         analyses a file.",
    )
}

fn run_wrapper(audio_args: Vec<String>) -> ExitCode {
    if let Some(reason) = missing_display() {
        eprintln!("error: {reason}");
        return ExitCode::from(2);
    }
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
    run_wrapper(audio_args)
}
