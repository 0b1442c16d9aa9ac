//! The status line: device, inference time, latency, dropped audio, model, and what went
//! wrong when something did.

use egui::{Color32, RichText, Ui};
use timbrescope_engine::live::snapshot::{LiveSnapshot, WorkerState};

/// Draws the status line; `message` is the result of the last export.
pub fn show(ui: &mut Ui, snapshot: &LiveSnapshot, message: Option<&str>) {
    ui.horizontal_wrapped(|ui| {
        match &snapshot.state {
            WorkerState::Starting => {
                ui.label("Starting the analysis…");
            }
            WorkerState::Running => {
                ui.label(format!(
                    "{} · {:.1} ms/window · latency {:.0} ms · MIDI delay {:.0} ms · dropped {:.2} s · {} · {} Hz",
                    snapshot.backend,
                    snapshot.inference_ms,
                    snapshot.latency_ms,
                    snapshot.midi_delay_ms,
                    snapshot.dropped_samples as f64 / f64::from(snapshot.sample_rate.max(1)),
                    snapshot.model,
                    snapshot.sample_rate,
                ));
            }
            WorkerState::Restarting(reason) => {
                ui.label(
                    RichText::new(format!(
                        "Analysis failed: {reason}; starting it again (audio still passes)"
                    ))
                    .color(Color32::from_rgb(255, 200, 90)),
                );
            }
            WorkerState::Failed(reason) => {
                ui.label(
                    RichText::new(format!("Analysis stopped: {reason} (audio still passes)"))
                        .color(Color32::from_rgb(255, 120, 100)),
                );
            }
        }
        if snapshot.restarts > 0 && snapshot.state == WorkerState::Running {
            ui.label(
                RichText::new(format!(
                    "the analysis restarted {} time(s) after a failure",
                    snapshot.restarts
                ))
                .color(Color32::from_rgb(255, 200, 90)),
            );
        }
        if snapshot.input_idle_s >= 2.0 {
            ui.label(
                RichText::new(format!(
                    "No audio for {:.0} s: the input stopped or was disconnected",
                    snapshot.input_idle_s
                ))
                .color(Color32::from_rgb(255, 200, 90)),
            );
        }
        if let Some(note) = &snapshot.backend_note {
            ui.label(RichText::new(note).color(Color32::from_rgb(255, 200, 90)));
        }
        if let Some(message) = message {
            ui.label(message);
        }
    });
}
