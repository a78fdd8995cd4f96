//! Integration tests, one binary: KRL programs, scenarios, determinism, CLI and the app.

#[cfg(feature = "app")]
mod app;
mod cli;
mod determinism;
mod krl_programs;
mod scenarios;

use std::path::{Path, PathBuf};

use robocell::sim::cell::Cell;
use robocell::sim::scenario::{Loaded, Scenario};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn default_scenario() -> Loaded {
    Scenario::load(&root().join("scenarios/pick_and_place.ron")).expect("default scenario loads")
}

/// The default cell running another program instead of the bundled one.
pub fn cell_with_program(path: &Path) -> Result<Cell, Vec<robocell::sim::krl::Diagnostic>> {
    let mut loaded = default_scenario();
    loaded.src = std::fs::read_to_string(path).expect("program readable");
    loaded.src_path = path.to_path_buf();
    loaded.dat = None;
    Cell::new(loaded).map(|(c, _)| c)
}
