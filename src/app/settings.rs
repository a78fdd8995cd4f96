//! What the window remembers between sessions: the UI scale (a projector wants it larger), in
//! `$XDG_CONFIG_HOME/robocell/window.ron` (else `~/.config/robocell/window.ron`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Default)]
struct Settings {
    /// egui's zoom factor: 1.0 is normal, 1.5 half again as large.
    ui_scale: Option<f32>,
}

fn file() -> Option<PathBuf> {
    let dir = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(dir.join("robocell").join("window.ron"))
}

/// The remembered UI scale, when there is one that makes sense.
pub fn load_zoom() -> Option<f32> {
    let text = std::fs::read_to_string(file()?).ok()?;
    ron::from_str::<Settings>(&text).ok()?.ui_scale.filter(|z| (0.5..=4.0).contains(z))
}

pub fn save_zoom(z: f32) -> Result<(), String> {
    let path = file().ok_or("no HOME or XDG_CONFIG_HOME")?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = ron::to_string(&Settings { ui_scale: Some(z) }).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}
