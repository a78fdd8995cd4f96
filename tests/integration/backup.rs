//! A miniature controller backup (KRC/R1/System/$config.dat, KRC/R1/Program/...), written here:
//! linted as a tree, its modules see $config.dat's globals, signals and types; without it
//! such names are warnings that say where they must come from.

use std::path::Path;
use std::process::Command;

use super::root;

fn lint(args: &[&str]) -> (i32, String) {
    robocell(&[&["lint"], args].concat())
}

/// `robocell ARGS` in the repository's root: (exit code, stdout then stderr).
fn robocell(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_robocell")).args(args).current_dir(root()).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn a_backup_lints_clean_with_its_config_dat() {
    // $config.dat: user globals, SIGNALs, a STRUC and an ENUM, and BASE_DATA/TOOL_DATA set
    // without DECL; cell_main (Windows-1252, CRLF) uses them, a system type, and lib's function.
    let (code, out) = lint(&["tests/backup"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 file(s): 0 error(s), 0 warning(s)"), "{out}");
    assert!(out.contains("with tests/backup/KRC/R1/System/$config.dat"), "{out}");
    // One module given alone finds the same $config.dat up the tree.
    let (code, out) = lint(&["tests/backup/KRC/R1/Program/cell_main.src"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 error(s), 0 warning(s)"), "{out}");
}

#[test]
fn with_config_dat_in_reach_an_undeclared_name_is_an_error_and_without_it_a_warning() {
    let dir = std::env::temp_dir().join(format!("robocell-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root().join("tests/backup"), &dir);
    let main = dir.join("KRC/R1/Program/cell_main.src");
    let text = std::fs::read(&main).unwrap();
    let typo = String::from_utf8_lossy(&text).replace("gi_parts_done + 1", "gi_part_done + 1");
    std::fs::write(&main, typo.as_bytes()).unwrap();
    let (code, out) = lint(&[dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[KRL080]: GI_PART_DONE is not declared"), "{out}");
    assert!(out.contains("3 file(s): 1 error(s)"), "{out}");
    // The Program folder copied out of the backup: no $config.dat in reach (inside the backup
    // it is found up the tree). Its names are warnings that say so.
    let alone = dir.with_extension("program");
    let _ = std::fs::remove_dir_all(&alone);
    copy_dir(&dir.join("KRC/R1/Program"), &alone);
    let (code, out) = lint(&[alone.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("warning[KRL080]: GO_CONVEYOR is not declared here; on a controller it must come from $config.dat"), "{out}");
    assert!(out.contains("warning[KRL019]: type COLOUR_T is not declared here"), "{out}");
    assert!(out.contains("no $config.dat in reach"), "{out}");
}

#[test]
fn lint_takes_several_paths_and_refuses_a_missing_one() {
    let (code, out) = lint(&["tests/krl/elseif.src", "scenarios/pick_place.src"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("2 file(s): 1 error(s)"), "{out}");
    let (code, out) = lint(&["scenarios", "no/such/dir"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no/such/dir: no such file or folder"), "{out}");
}

#[test]
fn a_library_whose_first_routine_is_a_deffct_lints_clean() {
    // It cannot be selected as a program (the run refuses it, see tests/krl/deffct_first.src),
    // but as a module of functions it is fine.
    let (code, out) = lint(&["tests/krl/deffct_first.src"]);
    assert_eq!(code, 0, "{out}");
}

/// A KSS-shaped backup (tests/backup_kss): its `$config.dat` declares PDAT, LDAT, FDAT and
/// BASIS_SUGG_T itself, uses a type robocell lacks, sets TOOL_NAME rows with an open index, and
/// has one error (`DECL REAL gr_lift=` without a value).
#[test]
fn a_kss_config_dat_redeclaring_the_inline_form_types_lints_with_its_one_error_reported_once() {
    let (code, out) = lint(&["tests/backup_kss"]);
    assert_eq!(code, 1, "{out}");
    // The one error, once, in $config.dat; nothing about PDAT/LDAT/FDAT declared twice.
    assert_eq!(out.matches("error[").count(), 1, "{out}");
    assert!(out.contains("$config.dat:26:19: error[KRL061]"), "{out}");
    assert!(!out.contains("declared twice"), "{out}");
    // The shorter BASIS_SUGG_T is used, with a note; the unknown type is named, not an error.
    assert!(out.contains("warning[KRL057]: BASIS_SUGG_T differs from robocell's declaration: the one here is used"), "{out}");
    assert!(out.contains("warning[KRL019]: type SPOTTIMING_T is not known to robocell"), "{out}");
    assert!(out.contains("4 file(s): 1 error(s)"), "{out}");
    // The module alone: its own problems (none), and the context's as one line.
    let (code, out) = lint(&["tests/backup_kss/KRC/R1/Program/kss_main.src"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("$config.dat has 1 error(s)").count(), 1, "{out}");
    assert!(out.contains("run `robocell lint tests/backup_kss/KRC/R1/System/$config.dat`"), "{out}");
    assert!(!out.contains("error["), "{out}");
}

#[test]
fn a_program_of_a_kss_backup_runs_with_its_config_dat() {
    use robocell::sim::scenario::Scenario;
    use robocell::sim::world::{ProgramState, World};
    let program = root().join("tests/backup_kss/KRC/R1/Program/kss_main.src");
    let loaded = Scenario::load_with_program(&root().join("scenarios/pick_and_place.ron"), Some(&program)).unwrap();
    let (mut w, warnings) = World::new(loaded).unwrap();
    assert!(warnings.iter().any(|d| d.code == "KRL090" && d.message.contains("$config.dat has 1 error(s)")), "{warnings:?}");
    super::run_program(&mut w, 10.0);
    assert_eq!(w.state(), ProgramState::Finished, "{:?}", w.messages());
    let var = |n: &str| w.variable(n).map(|v| v.to_string());
    // TOOL_NAME[1,]="Gripper": G at 1, r at 7; PSLOW and LSLOW.CB as the data list gives them.
    assert_eq!(var("NAMES_OK").as_deref(), Some("TRUE"));
    assert_eq!(var("SPEED_OK").as_deref(), Some("TRUE"));
    // counted(1, 2) was given both, counted(1) one.
    assert_eq!(var("GIVEN_ALL").as_deref(), Some("2"));
    assert_eq!(var("GIVEN_FIRST").as_deref(), Some("1"));
    assert_eq!(var("GI_CYCLES").as_deref(), Some("1"));
    assert!(w.io.outputs[3], "go_lamp, a SIGNAL of $config.dat");
    // A lone PUBLIC data list (Program/Lib/globals.dat) and a function in R1/TP: the
    // controller loads the whole R1 tree of a backup.
    assert_eq!(var("STATIONS").as_deref(), Some("8"));
    assert!(w.io.outputs[4], "go_buzzer, a GLOBAL SIGNAL of globals.dat");
}

/// The program folder without its backup: refused with one message naming what $config.dat
/// would declare; `--config FILE` gives it; `--assume-config` declares the names from their use.
#[test]
fn a_program_without_its_config_dat_is_refused_once_and_runs_with_config_or_assume_config() {
    let dir = std::env::temp_dir().join(format!("robocell-noconfig-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("flags.src");
    std::fs::write(
        &prog,
        "DEF flags( )\n  b_ready = TRUE\n  n_parts = 3\n  r_gap = n_parts * 2.5\n  IF b_ready AND (r_gap > 1.5) THEN\n    n_parts = n_parts + 1\n  ENDIF\nEND\n",
    )
    .unwrap();
    let check =
        |extra: &[&str]| robocell(&[&["check", "scenarios/pick_and_place.ron", "--program", prog.to_str().unwrap()], extra].concat());
    let (code, out) = check(&[]);
    assert_eq!(code, 2, "{out}");
    assert_eq!(out.matches("error[").count(), 1, "{out}");
    assert!(out.contains("error[KRL092]: 3 name(s) declared nowhere (and no $config.dat in reach): B_READY, N_PARTS, R_GAP"), "{out}");
    assert!(out.contains("--config FILE") && out.contains("--assume-config"), "{out}");
    // Assumed: BOOL from TRUE and the condition, INT from 3, REAL from 2.5 and the comparison.
    let (code, out) = check(&["--assume-config"]);
    assert!(out.contains("assumed `DECL GLOBAL BOOL B_READY=FALSE`"), "{out}");
    assert!(out.contains("assumed `DECL GLOBAL INT N_PARTS=0`"), "{out}");
    assert!(out.contains("assumed `DECL GLOBAL REAL R_GAP=0.0`"), "{out}");
    assert_eq!(out.matches("warning[KRL093]").count(), 3, "{out}");
    assert!(out.contains("Program end reached"), "{out}");
    assert_eq!(code, 1, "it ran, and picked nothing: {out}");
    // A real $config.dat given with --config.
    let config = dir.join("elsewhere/$config.dat");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "DEFDAT $CONFIG\nDECL BOOL b_ready=FALSE\nDECL INT n_parts=0\nDECL REAL r_gap=0.0\nENDDAT\n").unwrap();
    let (code, out) = check(&["--config", config.to_str().unwrap()]);
    assert!(out.contains("Program end reached"), "{out}");
    assert!(!out.contains("KRL09"), "{out}");
    assert_eq!(code, 1, "{out}");
    // A type nothing declares is named in the refusal, and cannot be assumed.
    std::fs::write(&prog, "DEF flags( )\n  DECL STATION_T st\n  b_ready = TRUE\nEND\n").unwrap();
    let (code, out) = check(&[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("1 name(s) and 1 type(s) declared nowhere (and no $config.dat in reach): B_READY, type STATION_T"), "{out}");
    let (code, out) = check(&["--assume-config"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("type STATION_T is declared nowhere: --assume-config cannot tell a type's members"), "{out}");
    // A name used as an array cannot be assumed: it says so.
    std::fs::write(&prog, "DEF flags( )\n  slots[2] = 1\nEND\n").unwrap();
    let (code, out) = check(&["--assume-config"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("SLOTS is not declared, and its use does not tell its type"), "{out}");
}

/// As on the controller, a module's main DEF carries its file's name, and a data list's DEFDAT
/// too; a tool's `name().src` export is taken as `name`.
#[test]
fn a_module_or_data_list_named_otherwise_than_its_file_is_refused_with_a_hint() {
    let dir = std::env::temp_dir().join(format!("robocell-names-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("example.src"), "DEF example_v4( )\nEND\n").unwrap();
    std::fs::write(dir.join("Segment_1().src"), "DEF Segment_1( )\nEND\n").unwrap();
    std::fs::write(dir.join("cell.src"), "DEF cell( )\nEND\n").unwrap();
    std::fs::write(dir.join("cell.dat"), "DEFDAT cell_old\nDECL INT n=1\nENDDAT\n").unwrap();
    let (code, out) = lint(&[dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("example.src:1:1: error[KRL070]: the module's DEF is EXAMPLE_V4 but its file is EXAMPLE"), "{out}");
    assert!(out.contains("rename the file to EXAMPLE_V4.src, or the DEF to EXAMPLE"), "{out}");
    assert!(out.contains("cell.dat:1:8: error[KRL070]: the data list is DEFDAT CELL_OLD but its file is CELL"), "{out}");
    assert!(!out.contains("Segment_1().src:1"), "{out}");
    assert!(out.contains("3 file(s): 2 error(s)"), "{out}");
}

/// What the `krl_folder` fuzz target does, on its seed corpus and seeded mutations of it (the
/// fuzzer itself needs a nightly toolchain): a backup's folder of files, linted and its main
/// module loaded with the others, must never panic. Mutations splice in the constructs of real
/// backups: redeclared types, open-index rows, left-out arguments, VARSTATE, CONFIRM.
#[test]
fn mutated_backup_folders_never_panic_lint_or_load() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    use robocell::sim::krl::project::lint_paths;
    use robocell::sim::krl::project::{FOLDER_FILES, split_folder};
    use robocell::sim::scenario::Scenario;
    use robocell::sim::world::World;
    let pieces: [&[u8]; 16] = [
        b"STRUC PDAT REAL VEL\n",
        b"TOOL_NAME[1,]=\"x\"\n",
        b"f(1,,3)",
        b"VARSTATE(\"a\")",
        b"CONFIRM 0\n",
        b"ENUM BAS_COMMAND A,B\n",
        b"DECL NOSUCH_T n\n",
        b"EKI_Init(\"x\")\n",
        b",",
        b"]",
        b"[",
        b"\n",
        b"DEFDAT other\n",
        b"GLOBAL SIGNAL s $OUT[2]\n",
        b"# ",
        b"\0FILE\0",
    ];
    let scenario = std::fs::read_to_string(root().join("scenarios/pick_and_place.ron")).unwrap();
    let mut seeds: Vec<Vec<u8>> =
        std::fs::read_dir(root().join("fuzz/corpus/krl_folder")).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    seeds.sort();
    assert!(seeds.len() >= 4, "the krl_folder seeds, kss_backup.folder among them");
    let dir = std::env::temp_dir().join(format!("robocell-mutated-{}", std::process::id()));
    let mut rng = StdRng::seed_from_u64(21);
    let mut loaded_ok = 0;
    for round in 0..240 {
        let mut data = seeds[round % seeds.len()].clone();
        for _ in 0..rng.random_range(0..4) {
            let at = rng.random_range(0..=data.len());
            match rng.random_range(0..3) {
                0 => data.splice(at..at, pieces[rng.random_range(0..pieces.len())].iter().copied()).for_each(drop),
                1 if at < data.len() => {
                    let end = (at + rng.random_range(1..20)).min(data.len());
                    data.drain(at..end);
                }
                _ if at < data.len() => data[at] = rng.random(),
                _ => {}
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        for (name, bytes) in split_folder(&data) {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
        }
        let (files, _) = lint_paths(std::slice::from_ref(&dir));
        files.iter().flat_map(|f| &f.diagnostics).for_each(|d| drop(d.to_string()));
        let program = dir.join(FOLDER_FILES[0]);
        if let Ok(loaded) = Scenario::from_texts(
            &root().join("scenarios/pick_and_place.ron"),
            &scenario,
            Some((program.clone(), robocell::sim::krl::source::read_text(&program))),
            robocell::sim::krl::source::read_text(&dir.join(FOLDER_FILES[1])).ok().map(|t| (dir.join(FOLDER_FILES[1]), t)),
        ) {
            let mut loaded = loaded;
            loaded.others = robocell::sim::scenario::other_modules(&program);
            if let Ok((mut w, _)) = World::new(loaded) {
                loaded_ok += 1;
                for _ in 0..50 {
                    w.step(&[robocell::sim::world::Command::Start]);
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    // Not every mutation breaks the program: some must still load and run.
    assert!(loaded_ok > 0, "no mutated backup loaded");
}

/// Without a `$config.dat`, a name another module keeps to itself is still its own error (with
/// the hint to make it GLOBAL), not one of the names only a `$config.dat` could declare.
#[test]
fn without_config_dat_a_neighbours_private_name_keeps_its_own_error() {
    let dir = std::env::temp_dir().join(format!("robocell-private-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("lib.src"), "DEF lib( )\nEND\n").unwrap();
    std::fs::write(dir.join("lib.dat"), "DEFDAT lib\nDECL INT secret=3\nENDDAT\n").unwrap();
    std::fs::write(dir.join("main.src"), "DEF main( )\n  DECL INT n\n  n = secret\n  b_ready = TRUE\nEND\n").unwrap();
    let (code, text) = robocell(&["check", "scenarios/pick_and_place.ron", "--program", dir.join("main.src").to_str().unwrap()]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("main.src:3:7: error[KRL080]: SECRET is not declared"), "{text}");
    assert!(text.contains("keeps it to itself"), "{text}");
    assert!(text.contains("error[KRL092]: 1 name(s) declared nowhere (and no $config.dat in reach): B_READY"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Modules with errors beside the program are left out with a warning each; more than three
/// (a backup's tree) are named in one warning.
#[test]
fn modules_left_out_for_errors_are_named_once_when_many() {
    use robocell::sim::scenario::Scenario;
    use robocell::sim::world::World;
    let dir = std::env::temp_dir().join(format!("robocell-leftout-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.src"), "DEF main( )\nEND\n").unwrap();
    let scenario = root().join("scenarios/pick_and_place.ron");
    let left_out = |n: usize| {
        for k in 0..n {
            std::fs::write(dir.join(format!("bad{k}.src")), format!("DEF bad{k}( )\n  WHILE\nEND\n")).unwrap();
        }
        let loaded = Scenario::load_with_program(&scenario, Some(&dir.join("main.src"))).unwrap();
        let (_, warnings) = World::new(loaded).unwrap();
        warnings.into_iter().filter(|d| d.code == "KRL090").map(|d| d.message).collect::<Vec<_>>()
    };
    assert_eq!(
        left_out(3),
        [
            "module bad0.src has errors and is not loaded with the program",
            "module bad1.src has errors and is not loaded with the program",
            "module bad2.src has errors and is not loaded with the program"
        ]
    );
    assert_eq!(
        left_out(5),
        ["5 modules beside the program have errors and are not loaded with it: bad0.src, bad1.src, bad2.src, bad3.src, bad4.src"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
