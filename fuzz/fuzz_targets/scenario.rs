//! Any bytes as a scenario file: parsing and validation never panic, and a scenario that
//! validates builds a cell that runs the bundled program for 300 ticks without a panic or a NaN.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use robocell::sim::scenario::Scenario;
use robocell::sim::world::World;

#[path = "run_checked.rs"]
mod run_checked;
use run_checked::run_checked;

const SRC: &str = include_str!("../../scenarios/pick_place.src");
const DAT: &str = include_str!("../../scenarios/pick_place.dat");

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let loaded = Scenario::from_texts(
        Path::new("fuzz.ron"),
        &text,
        Some((PathBuf::from("pick_place.src"), Ok(SRC.to_string()))),
        Some((PathBuf::from("pick_place.dat"), DAT.to_string())),
    );
    let loaded = match loaded {
        Ok(l) => l,
        Err(diags) => {
            for d in &diags {
                let _ = d.to_string();
            }
            return;
        }
    };
    let Ok((mut world, _)) = World::new(loaded) else { return };
    run_checked(&mut world);
});
