//! What the plugin instance shares with its editor and with a file player: the worker's
//! results and its controls. Its own module, so the editor and the player depend on it and
//! not on the plugin type.

use std::sync::{Arc, Mutex};

use timbrescope_engine::live::controls::WorkerControls;
use timbrescope_engine::live::snapshot::SnapshotReader;

/// What the editor reads: the worker's published results and its controls.
pub struct SharedView {
    /// The results; only the editor (GUI thread) and deactivation (main thread) lock it.
    pub reader: Mutex<SnapshotReader>,
    /// The worker's controls: the audio thread copies the parameters into them every block,
    /// and views read the threshold from them.
    pub controls: Arc<WorkerControls>,
}
