//! The plugin's logger: nice-plug's log destination (`NICE_LOG`: stderr, a file, or the
//! Windows debugger) at WARN unless `TIMBRESCOPE_LOG` asks for more, so that inside a host
//! the plugin and the libraries under it (wgpu, cubecl) stay quiet.

use tracing::level_filters::LevelFilter;

/// Installs the subscriber; `Some(true)` tells nice-plug it worked (it then logs panics too).
pub fn setup() -> Option<bool> {
    let level = match std::env::var("TIMBRESCOPE_LOG").as_deref() {
        Ok("error") => LevelFilter::ERROR,
        Ok("info") => LevelFilter::INFO,
        Ok("debug") => LevelFilter::DEBUG,
        Ok("trace") => LevelFilter::TRACE,
        Ok("off") => LevelFilter::OFF,
        _ => LevelFilter::WARN,
    };
    let subscriber = tracing_subscriber::FmtSubscriber::builder()
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .with_writer(nice_log::writer_from_env())
        .finish();
    Some(tracing::subscriber::set_global_default(subscriber).is_ok())
}
