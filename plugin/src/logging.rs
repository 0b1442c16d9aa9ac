//! The plugin's logger. Inside a host the plugin prints nothing: a host's stderr is not the
//! user's to read: the host learns of a malformed project state from the call's result, and
//! the editor's status line says what went wrong with the analysis. `TIMBRESCOPE_LOG` (error, warn, info, debug, trace) turns the
//! log on, to nice-plug's destination (`NICE_LOG`: stderr, a file, or the Windows debugger).
//! The standalone app is a terminal program, so there warnings are on by default.

use std::sync::atomic::{AtomicBool, Ordering};

use tracing::level_filters::LevelFilter;

/// Whether the process is the standalone app (set before nice-plug starts the plugin).
static IN_TERMINAL_APP: AtomicBool = AtomicBool::new(false);

/// Called by the standalone app before it starts the plugin, so that the warnings its user
/// needs (a JACK port that does not exist, a device that failed) reach the terminal.
pub fn show_warnings_in_terminal() {
    IN_TERMINAL_APP.store(true, Ordering::Relaxed);
}

/// The level to log at: `TIMBRESCOPE_LOG` if set, else WARN in the app and nothing in a host.
fn level() -> LevelFilter {
    match std::env::var("TIMBRESCOPE_LOG").as_deref() {
        Ok("error") => LevelFilter::ERROR,
        Ok("warn") => LevelFilter::WARN,
        Ok("info") => LevelFilter::INFO,
        Ok("debug") => LevelFilter::DEBUG,
        Ok("trace") => LevelFilter::TRACE,
        Ok("off") => LevelFilter::OFF,
        _ if IN_TERMINAL_APP.load(Ordering::Relaxed) => LevelFilter::WARN,
        _ => LevelFilter::OFF,
    }
}

/// Installs the subscriber; `Some(true)` tells nice-plug it worked (it then logs panics too).
pub(crate) fn setup() -> Option<bool> {
    let subscriber = tracing_subscriber::FmtSubscriber::builder()
        .with_max_level(level())
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .with_writer(nice_log::writer_from_env())
        .finish();
    Some(tracing::subscriber::set_global_default(subscriber).is_ok())
}
