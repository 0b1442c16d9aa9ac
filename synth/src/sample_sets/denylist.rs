//! The deny-list: presets of permitted fonts that play the evaluation fonts' own samples
//! (found sample by sample, `../shared/TIMBRE_SOURCES.md`). It is compiled in, so every
//! load of such a font applies it and no configuration can forget it.

use std::path::Path;

use serde::Deserialize;

use super::Placement;

/// The committed copy of `../shared/timbre-denylist.json`.
const DENYLIST_JSON: &str = include_str!("../../timbre-denylist.json");

#[derive(Deserialize)]
struct DenyList {
    /// "FILE (where it comes from)": the font the presets belong to.
    font: String,
    presets: Vec<DeniedPreset>,
    freepats_skip: Vec<String>,
}

#[derive(Deserialize)]
struct DeniedPreset {
    bank: u16,
    program: u16,
}

fn parsed() -> DenyList {
    serde_json::from_str(DENYLIST_JSON).expect("the committed deny-list parses (tested)")
}

/// The presets of the font at `path` that may never be rendered (none for other fonts).
/// Fonts are known by file name, wherever they are installed.
pub fn denied_presets(path: &Path) -> Vec<Placement> {
    let list = parsed();
    let file = list.font.split_whitespace().next().unwrap_or_default();
    if path.file_name().and_then(|f| f.to_str()) != Some(file) {
        return Vec::new();
    }
    list.presets
        .iter()
        .map(|p| Placement {
            bank: p.bank,
            program: p.program,
        })
        .collect()
}

/// The freepats patch files that may never be loaded.
pub fn denied_patch_files() -> Vec<String> {
    parsed().freepats_skip
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_list_names_general_user_and_its_drum_kits() {
        let denied = denied_presets(Path::new(
            "/usr/share/minuet/soundfonts/GeneralUser-v1.47.sf2",
        ));
        assert!(denied.len() >= 50, "{}", denied.len());
        assert!(
            denied.contains(&Placement {
                bank: 0,
                program: 42
            }),
            "cello"
        );
        assert!(
            denied.contains(&Placement {
                bank: 128,
                program: 0
            }),
            "standard kit"
        );
        assert!(denied_presets(Path::new("/usr/share/sounds/sf2/FluidR3_GM.sf2")).is_empty());
        assert!(denied_patch_files().contains(&"068_Oboe.pat".to_owned()));
    }
}
