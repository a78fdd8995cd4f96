//! Any bytes as a `.src` (and a `.dat` after a `\0DAT\0` marker) run in the default cell: a
//! program that loads runs for 300 ticks (interpreter, planner, main run, physics) without a
//! panic and without a NaN in the robot's axes or the parts' poses. Each tick is bounded by
//! the operation budget.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use robocell::sim::scenario::Scenario;
use robocell::sim::world::World;

#[path = "run_checked.rs"]
mod run_checked;
use run_checked::run_checked;

const SCENARIO: &str = include_str!("../../scenarios/pick_and_place.ron");

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (src, dat) = text.split_once("\0DAT\0").map_or((&*text, None), |(s, d)| (s, Some(d)));
    let Ok(loaded) = Scenario::from_texts(
        Path::new("pick_and_place.ron"),
        SCENARIO,
        Some((PathBuf::from("fuzz.src"), Ok(src.to_string()))),
        dat.map(|d| (PathBuf::from("fuzz.dat"), d.to_string())),
    ) else {
        return;
    };
    let Ok((mut world, _)) = World::new(loaded) else { return };
    run_checked(&mut world);
});
