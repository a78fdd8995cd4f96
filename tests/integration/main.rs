//! Integration tests, one binary: KRL programs, scenarios, determinism, CLI and the app.

#[cfg(feature = "app")]
mod app;
mod backup;
mod cell_parts;
mod cell_tools;
mod cli;
mod determinism;
mod grading;
mod krl_programs;
mod lessons;
mod motion_features;
mod motion_props;
mod multi_module;
#[cfg(feature = "net")]
mod network;
mod opw_reference;
mod override_stop;
mod pendant;
mod plant;
mod random_runs;
mod recording;
mod safety_faults;
mod scenarios;
mod soak;
mod timeline;
mod trace;

use std::path::{Path, PathBuf};

use robocell::sim::scenario::{Loaded, Scenario};
use robocell::sim::world::World;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn default_scenario() -> Loaded {
    Scenario::load(&root().join("scenarios/pick_and_place.ron")).expect("default scenario loads")
}

/// The default cell running another program (and the `.dat` beside it, if any) instead of the bundled one.
/// Returns the world and the load warnings.
pub fn cell_with_program(path: &Path) -> Result<(World, Vec<robocell::sim::krl::Diagnostic>), Vec<robocell::sim::krl::Diagnostic>> {
    let mut loaded = default_scenario();
    loaded.src = robocell::sim::krl::source::read_text(path).expect("program readable");
    loaded.src_path = path.to_path_buf();
    let dat = path.with_extension("dat");
    loaded.dat = robocell::sim::krl::source::read_text(&dat).ok().map(|t| (dat, t));
    World::new(loaded)
}

/// Takes everything but the robot and the floor out of a cell, and its objectives.
pub fn strip_cell(loaded: &mut Loaded) {
    let sc = &mut loaded.scenario;
    sc.conveyors.clear();
    sc.spawners.clear();
    sc.light_barriers.clear();
    sc.bins.clear();
    sc.objectives.clear();
    sc.variants.clear();
    sc.time_limit_s = 600.0;
}

/// Starts the program and steps until it finishes or faults, or `max_s` simulated seconds pass.
pub fn run_program(world: &mut World, max_s: f64) {
    use robocell::sim::world::{Command, ProgramState};
    world.step(&[Command::Start]);
    while !matches!(world.state(), ProgramState::Finished | ProgramState::Faulted) && world.time_s() < max_s {
        world.step(&[]);
    }
}

/// The name of the first DEF in `src` (the file name a module must have).
pub fn def_name(src: &str) -> String {
    let def = src.lines().find_map(|l| l.trim_start().strip_prefix("DEF ")).expect("a DEF line");
    def.split('(').next().unwrap().trim().to_string()
}

/// A cell with only the robot and a floor, running `src` in operating mode `mode`.
pub fn empty_cell(src: &str, mode: robocell::sim::scenario::OperatingMode) -> World {
    let mut loaded = default_scenario();
    strip_cell(&mut loaded);
    loaded.scenario.mode = mode;
    loaded.src = src.to_string();
    loaded.src_path = PathBuf::from(format!("{}.src", def_name(src)));
    loaded.dat = None;
    match World::new(loaded) {
        Ok((c, _)) => c,
        Err(d) => panic!("{}", d.iter().map(|d| d.to_string()).collect::<String>()),
    }
}
