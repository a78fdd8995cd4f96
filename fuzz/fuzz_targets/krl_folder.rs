//! Any bytes as a program folder or a controller backup: up to eight files split at `\0FILE\0`,
//! named in turn from a fixed list (modules, data lists, `$config.dat` beside them or in
//! `KRC/R1/System`), written as raw bytes (so Windows-1252 and broken UTF-8 come through).
//! `lint` of the folder must never panic, and the first module loaded with the others into the
//! default cell (as a scenario naming the folder would) must load or be refused with
//! diagnostics, never a panic.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use robocell::sim::krl::project::{lint_paths, split_folder};
use robocell::sim::krl::source::decode;
use robocell::sim::scenario::Scenario;
use robocell::sim::world::World;

const SCENARIO: &str = include_str!("../../scenarios/pick_and_place.ron");

fuzz_target!(|data: &[u8]| {
    let files = split_folder(data);
    let dir = std::env::temp_dir().join(format!("robocell-fuzz-folder-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (name, bytes) in &files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("temp dir");
        }
        std::fs::write(&path, bytes).expect("temp file");
    }
    let (linted, _) = lint_paths(&[dir.clone()]);
    for f in &linted {
        for d in &f.diagnostics {
            let _ = d.to_string();
        }
    }
    // In memory, as the cell loads a program folder: main.src with every other file beside it.
    let text = |i: usize| files.get(i).map(|(_, b)| decode(b).text);
    if let Some(src) = text(0)
        && let Ok(mut loaded) = Scenario::from_texts(
            Path::new("pick_and_place.ron"),
            SCENARIO,
            Some((PathBuf::from("main.src"), Ok(src))),
            text(1).map(|t| (PathBuf::from("main.dat"), t)),
        )
    {
        loaded.others = (2..files.len()).filter_map(|i| text(i).map(|t| (PathBuf::from(files[i].0), t))).collect();
        let _ = World::new(loaded);
    }
    let _ = std::fs::remove_dir_all(&dir);
});
