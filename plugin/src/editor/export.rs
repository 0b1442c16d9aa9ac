//! Export of the shown span: a MIDI file (one track per instrument), the JSON prediction
//! file of docs/ARCHITECTURE.md and a PNG report, into the user's export folder (never the host's
//! working directory).

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use timbrescope_engine::live::snapshot::LiveSnapshot;
use timbrescope_engine::outputs::midi_file::notes_to_midi;
use timbrescope_engine::outputs::prediction::PredictionFile;
use timbrescope_engine::outputs::report::write_report;

use super::TimeSpan;

/// Where exports go: `$TIMBRESCOPE_EXPORT_DIR`, else `~/Timbrescope`.
pub fn export_dir() -> Option<PathBuf> {
    std::env::var_os("TIMBRESCOPE_EXPORT_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::home_dir().map(|home| home.join("Timbrescope")))
}

/// Writes `span` of `snapshot` as MIDI, JSON and PNG; returns a line for the status bar
/// saying where, or why not.
pub fn export(snapshot: &LiveSnapshot, span: TimeSpan) -> String {
    let Some(dir) = export_dir() else {
        return "Export failed: no home folder; set TIMBRESCOPE_EXPORT_DIR".into();
    };
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let stem = dir.join(format!("timbrescope-{stamp}"));
    let excerpt = snapshot.excerpt(span.start.max(0.0), span.end);
    let json = serde_json::to_vec_pretty(&PredictionFile::from_analysis(&excerpt))
        .expect("a prediction file always serialises");
    let midi = notes_to_midi(&excerpt.notes, &snapshot.classes);
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(stem.with_extension("json"), json))
        .and_then(|()| std::fs::write(stem.with_extension("mid"), midi))
        .map_err(|e| e.to_string())
        .and_then(|()| {
            let title = format!("Timbrescope, {:.1} s", span.end - span.start);
            write_report(&excerpt, &title, &stem.with_extension("png")).map_err(|e| e.to_string())
        });
    match written {
        Ok(()) => format!(
            "Exported {} notes to {}.mid/.json/.png",
            excerpt.notes.len(),
            stem.display()
        ),
        Err(e) => format!("Export to {} failed: {e}", dir.display()),
    }
}
