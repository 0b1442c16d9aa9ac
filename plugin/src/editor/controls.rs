//! The control strip: parameters as sliders, and the freeze, clear and export buttons.

use egui::Ui;
use nice_plug::prelude::*;
use nice_plug_egui::widgets::ParamSlider;

use crate::params::TimbrescopeParams;

/// A button the user pressed this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Freeze or unfreeze the views.
    Freeze,
    /// Forget what is shown so far.
    Clear,
    /// Write the shown span as MIDI, JSON and PNG.
    Export,
}

/// Draws the controls; returns the button pressed, if any.
pub fn show(
    ui: &mut Ui,
    params: &TimbrescopeParams,
    setter: &ParamSetter,
    frozen: bool,
) -> Option<Action> {
    let mut action = None;
    ui.horizontal_wrapped(|ui| {
        let slider = |ui: &mut Ui, label: &str, param: &dyn Fn(&mut Ui)| {
            ui.label(label);
            param(ui);
        };
        slider(ui, "Threshold", &|ui| {
            ui.add(ParamSlider::for_param(&params.threshold, setter));
        });
        slider(ui, "Hop", &|ui| {
            ui.add(ParamSlider::for_param(&params.hop_ms, setter));
        });
        slider(ui, "View", &|ui| {
            ui.add(ParamSlider::for_param(&params.view_seconds, setter));
        });
        slider(ui, "Backend", &|ui| {
            ui.add(ParamSlider::for_param(&params.backend, setter));
        });
        let mut midi = params.midi_out.value();
        if ui.checkbox(&mut midi, "MIDI out").changed() {
            setter.begin_set_parameter(&params.midi_out);
            setter.set_parameter(&params.midi_out, midi);
            setter.end_set_parameter(&params.midi_out);
        }
        ui.separator();
        if ui
            .selectable_label(frozen, if frozen { "Frozen" } else { "Freeze" })
            .on_hover_text("Stop scrolling; then zoom (wheel) and pan (drag) the pianoroll")
            .clicked()
        {
            action = Some(Action::Freeze);
        }
        if ui.button("Clear").clicked() {
            action = Some(Action::Clear);
        }
        if ui
            .button("Export")
            .on_hover_text(
                "Save the shown span as MIDI (a track per instrument), JSON and PNG (Ctrl+E)",
            )
            .clicked()
        {
            action = Some(Action::Export);
        }
    });
    action
}
