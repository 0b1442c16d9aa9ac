//! The editor: instrument activity lanes, a streaming pianoroll, "now playing", a status
//! line and the controls, drawn with egui from the worker's latest [`LiveSnapshot`].

mod axes;
mod controls;
mod export;
mod lanes;
mod now_playing;
mod palette;
mod pianoroll;
mod status;

use std::sync::Arc;

use egui::Ui;
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use nice_plug_egui::Frame;
use nice_plug_egui::{EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier};
use timbrescope_engine::live::snapshot::LiveSnapshot;

use crate::params::TimbrescopeParams;
use crate::shared_view::SharedView;

pub use export::export_dir;

/// Extra controls a host program adds to the editor (the standalone app's audio settings),
/// drawn in their own section; plugins in a DAW have none.
pub type ExtraControls = Box<dyn FnMut(&mut Ui) + Send>;

static EXTRA_CONTROLS: std::sync::OnceLock<std::sync::Mutex<ExtraControls>> =
    std::sync::OnceLock::new();

/// Registers the extra controls, once per process, before the editor opens.
pub fn set_extra_controls(controls: ExtraControls) -> bool {
    EXTRA_CONTROLS.set(std::sync::Mutex::new(controls)).is_ok()
}

/// The editor type the plugin hands to the host.
pub type TimbrescopeEditor = EguiEditor<EditorApp>;

/// Smallest useful editor, logical pixels.
const MIN_SIZE: (u32, u32) = (640, 420);

/// The visible time span of the views, in stream seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeSpan {
    /// Left edge.
    pub start: f64,
    /// Right edge.
    pub end: f64,
}

impl TimeSpan {
    fn length(&self) -> f64 {
        self.end - self.start
    }

    /// Horizontal position of time `t` in `rect`.
    pub fn x(&self, t: f64, rect: egui::Rect) -> f32 {
        rect.left() + ((t - self.start) / self.length()) as f32 * rect.width()
    }
}

/// What the lanes and the pianoroll draw: the results, the span, where a Clear cut them
/// off, and which classes are shown.
pub struct Shown<'a> {
    /// The worker's results.
    pub snapshot: &'a LiveSnapshot,
    /// Visible time span.
    pub span: TimeSpan,
    /// Stream time before which nothing is drawn (the last Clear).
    pub from: f64,
    /// Per class: shown or hidden.
    pub visible: &'a [bool],
    /// Activity at which an instrument counts as heard (the threshold parameter).
    pub threshold: f32,
}

/// Zoom and pan of the frozen views.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FrozenView {
    /// Seconds shown.
    length: f64,
    /// Right edge, stream seconds.
    end: f64,
    /// Lowest and highest MIDI note shown in the pianoroll.
    pitches: (f32, f32),
}

/// Editor state that lives while the window is open.
pub struct EditorApp {
    params: Arc<TimbrescopeParams>,
    shared: Arc<SharedView>,
    gui: Option<GuiContext>,
    snapshot: LiveSnapshot,
    frozen: Option<FrozenView>,
    cleared_at: f64,
    pitches: (f32, f32),
    message: Option<String>,
    /// Whether the lanes of the instruments not heard in the view are unfolded.
    silent_expanded: bool,
}

/// Builds the editor with the saved size.
pub fn create(
    params: Arc<TimbrescopeParams>,
    shared: Arc<SharedView>,
) -> Option<TimbrescopeEditor> {
    let (width, height) = params.view.read().map(|v| v.size).unwrap_or((960, 640));
    let state = EguiEditorState::from_size(
        nice_plug::editor::dpi::LogicalSize::new(width.max(MIN_SIZE.0), height.max(MIN_SIZE.1)),
        1.0,
    );
    let settings = EguiNiceSettings::new()
        .with_tile("Timbrescope")
        .with_resize_hint(ResizeHint {
            can_resize: true,
            ..ResizeHint::default()
        });
    nice_plug_egui::create_egui_editor(
        state,
        RepaintNotifier::new(),
        settings,
        EditorApp {
            params,
            shared,
            gui: None,
            snapshot: LiveSnapshot::default(),
            frozen: None,
            cleared_at: f64::NEG_INFINITY,
            pitches: (21.0, 108.0),
            message: None,
            silent_expanded: false,
        },
    )
}

/// Saves which instruments `snapshot` has heard into the project state.
pub fn store_heard(params: &TimbrescopeParams, snapshot: &LiveSnapshot) {
    let heard = snapshot
        .heard(timbrescope_engine::timeline::HEARD_MIN_SECONDS)
        .into_iter()
        .map(|(name, seconds)| (name.to_string(), (seconds * 100.0).round() / 100.0))
        .collect();
    if let Ok(mut stored) = params.heard.write() {
        *stored = heard;
    }
}

impl EditorApp {
    fn refresh(&mut self) {
        if self.frozen.is_some() {
            return;
        }
        if let Ok(mut reader) = self.shared.reader.lock() {
            self.snapshot.clone_from(reader.read());
        }
        store_heard(&self.params, &self.snapshot);
    }

    /// The span the views show now.
    fn span(&self) -> TimeSpan {
        match self.frozen {
            Some(f) => TimeSpan {
                start: f.end - f.length,
                end: f.end,
            },
            None => {
                let end = self.snapshot.now();
                TimeSpan {
                    start: end - f64::from(self.params.view_seconds.value()),
                    end,
                }
            }
        }
    }

    fn visible(&self) -> Vec<bool> {
        let hidden = self
            .params
            .view
            .read()
            .map(|v| v.hidden.clone())
            .unwrap_or_default();
        self.snapshot
            .classes
            .iter()
            .map(|c| !hidden.contains(&c.name))
            .collect()
    }

    fn toggle_freeze(&mut self) {
        self.frozen = match self.frozen {
            Some(_) => None,
            None => {
                let span = self.span();
                Some(FrozenView {
                    length: span.length(),
                    end: span.end,
                    pitches: self.pitches,
                })
            }
        };
    }
}

impl NiceEguiApp for EditorApp {
    fn build(
        &mut self,
        _egui_ctx: egui::Context,
        gui: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.gui = Some(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut Frame) {
        self.refresh();
        let Some(gui) = self.gui.clone() else {
            return;
        };
        let setter = gui.param_setter();
        let span = self.span();
        let visible = self.visible();
        egui::Panel::top("controls").show(ui, |ui| {
            let action = controls::show(ui, &self.params, &setter, self.frozen.is_some());
            match action {
                Some(controls::Action::Freeze) => self.toggle_freeze(),
                Some(controls::Action::Clear) => self.cleared_at = self.snapshot.now(),
                Some(controls::Action::Export) => {
                    self.message = Some(export::export(&self.snapshot, span));
                }
                None => {}
            }
        });
        egui::Panel::bottom("status").show(ui, |ui| {
            status::show(ui, &self.snapshot, self.message.as_deref());
        });
        egui::Panel::right("now playing")
            .resizable(false)
            .exact_size(200.0)
            .show(ui, |ui| {
                if let Some(extra) = EXTRA_CONTROLS.get()
                    && let Ok(mut draw) = extra.lock()
                {
                    egui::CollapsingHeader::new("Audio").show(ui, |ui| draw(ui));
                    ui.separator();
                }
                now_playing::show(
                    ui,
                    &self.snapshot,
                    &self.params,
                    self.params.threshold.value(),
                );
            });
        egui::CentralPanel::default().show(ui, |ui| {
            let shown = Shown {
                snapshot: &self.snapshot,
                span,
                from: span.start.max(self.cleared_at),
                visible: &visible,
                threshold: self.params.threshold.value(),
            };
            let lanes_height = (ui.available_height() * 0.45).max(120.0);
            lanes::show(ui, &shown, lanes_height, &mut self.silent_expanded);
            ui.add_space(4.0);
            let pitches = self.frozen.map_or(self.pitches, |f| f.pitches);
            let change = pianoroll::show(ui, &shown, pitches);
            if let (Some(frozen), Some(change)) = (self.frozen.as_mut(), change) {
                frozen.length = (frozen.length * change.zoom).clamp(0.5, 120.0);
                frozen.end += change.pan_seconds;
                frozen.pitches = change.pitches;
            }
        });
        if ui
            .ctx()
            .input(|i| i.modifiers.command && i.key_pressed(egui::Key::E))
        {
            self.message = Some(export::export(&self.snapshot, span));
        }
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(33));
    }

    fn resized(&mut self, size: nice_plug_egui::baseview::WindowSize) {
        if let Ok(mut view) = self.params.view.write() {
            view.size = (
                size.logical.width.round() as u32,
                size.logical.height.round() as u32,
            );
        }
    }

    fn editor_closed(&mut self) {
        self.gui = None;
    }
}
