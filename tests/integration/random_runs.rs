//! Seeded random damage to the test programs and the default scenario, run in a cell: nothing a
//! user can write panics, and the robot's axes and the parts' poses stay finite. The fuzz
//! targets in `fuzz/` (krl_run, scenario) do the same with coverage guidance, for longer.

use std::path::PathBuf;

use rand::{Rng, SeedableRng, rngs::StdRng};
use robocell::sim::scenario::Scenario;
use robocell::sim::world::{Command, World};

use super::root;

/// Runs a loaded world for `ticks` and checks that everything stayed finite.
fn run_finite(world: &mut World, ticks: usize, what: &str) {
    world.step(&[Command::Start]);
    for _ in 0..ticks {
        world.step(&[]);
        assert!(world.axes_deg().iter().all(|a| a.is_finite()), "{what}: axes {:?}", world.axes_deg());
    }
    for p in world.parts() {
        assert!(p.pose.translation.vector.iter().all(|v| v.is_finite()), "{what}: part {} at {:?}", p.id, p.pose);
    }
}

/// One random edit of a text: a line dropped, doubled or swapped, a number changed, a
/// character inserted.
fn mutate(rng: &mut StdRng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let i = rng.random_range(0..lines.len());
    match rng.random_range(0..5) {
        0 => {
            lines.remove(i);
        }
        1 => {
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        2 => {
            let j = rng.random_range(0..lines.len());
            lines.swap(i, j);
        }
        3 => {
            // Replace the first number on the line with an extreme or odd one.
            let odd = ["0", "-1", "1e9", "-720", "0.0001", "99999", "45"][rng.random_range(0..7)];
            let l = &lines[i];
            if let Some(s) = l.find(|c: char| c.is_ascii_digit()) {
                let e = l[s..].find(|c: char| !c.is_ascii_digit() && c != '.').map_or(l.len(), |e| s + e);
                lines[i] = format!("{}{odd}{}", &l[..s], &l[e..]);
            }
        }
        _ => {
            let c = ["{", "}", ",", "=", "(", ")", "\"", ":", "-"][rng.random_range(0..9)];
            let l = &lines[i];
            let at = (0..=l.len()).filter(|k| l.is_char_boundary(*k)).nth(rng.random_range(0..=l.chars().count())).unwrap_or(0);
            lines[i] = format!("{}{c}{}", &l[..at], &l[at..]);
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn damaged_programs_load_or_are_refused_and_never_panic_a_running_cell() {
    let mut rng = StdRng::seed_from_u64(17);
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tests/krl"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "src"))
        .collect();
    files.sort();
    let (mut ran, mut refused) = (0, 0);
    for f in &files {
        let src = robocell::sim::krl::source::read_text(f).unwrap();
        let dat = robocell::sim::krl::source::read_text(&f.with_extension("dat")).ok();
        for k in 0..3 {
            let mut text = src.clone();
            for _ in 0..=k {
                text = mutate(&mut rng, &text);
            }
            let mut loaded = super::default_scenario();
            loaded.src = text;
            loaded.src_path = f.clone();
            loaded.dat = dat.clone().map(|d| (f.with_extension("dat"), d));
            match World::new(loaded) {
                Ok((mut world, _)) => {
                    run_finite(&mut world, 200, &f.display().to_string());
                    ran += 1;
                }
                Err(diags) => {
                    assert!(diags.iter().any(|d| d.is_error()), "refused without an error");
                    refused += 1;
                }
            }
        }
    }
    assert!(ran > 30 && refused > 30, "{ran} ran, {refused} refused");
}

#[test]
fn damaged_scenarios_are_refused_with_positions_or_run_finite() {
    let path = root().join("scenarios/pick_and_place.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let src = std::fs::read_to_string(root().join("scenarios/pick_place.src")).unwrap();
    let dat_path = root().join("scenarios/pick_place.dat");
    let dat = std::fs::read_to_string(&dat_path).unwrap();
    let mut rng = StdRng::seed_from_u64(23);
    let (mut ran, mut refused) = (0, 0);
    for k in 0..200 {
        let mut t = text.clone();
        for _ in 0..=(k % 3) {
            t = mutate(&mut rng, &t);
        }
        match Scenario::from_texts(
            &path,
            &t,
            Some((root().join("scenarios/pick_place.src"), Ok(src.clone()))),
            Some((dat_path.clone(), dat.clone())),
        ) {
            Ok(loaded) => {
                let (mut world, _) = World::new(loaded).expect("the bundled program loads in any valid cell");
                run_finite(&mut world, 1000, &format!("scenario variant {k}"));
                ran += 1;
            }
            Err(diags) => {
                let lines = t.lines().count() as u32 + 1;
                assert!(diags.iter().all(|d| d.span.line >= 1 && d.span.line <= lines && d.span.col >= 1), "{diags:?}");
                refused += 1;
            }
        }
    }
    assert!(ran > 20 && refused > 20, "{ran} ran, {refused} refused");
}

/// A random operator at the pendant: Start, Stop, the override, the mode, the run mode and Reset
/// at random ticks of the default cell. No axis ever exceeds its speed or acceleration, nothing
/// becomes NaN, and the recording of the session replays bit-identically.
#[test]
fn a_random_operator_never_drives_an_axis_past_its_limits_and_replays_exactly() {
    use robocell::sim::record::Replay;
    use robocell::sim::scenario::OperatingMode;
    use robocell::sim::world::StepMode;
    let mut rng = StdRng::seed_from_u64(29);
    let (mut world, _) = World::new(super::default_scenario()).unwrap();
    assert!(world.start_recording());
    let m = world.model().clone();
    let dt = world.dt();
    let mut prev = world.axes_deg();
    let mut prev_v = [0.0; 6];
    let mut moving = 0;
    for tick in 0..20_000 {
        let mut cmds = Vec::new();
        if rng.random_range(0..50) == 0 {
            cmds.push(match rng.random_range(0..34) {
                0..=11 => Command::Start,
                // The enabling switch is mostly held; Start is let go now and then.
                30..=31 => Command::EnablingSwitch(true),
                32 => Command::EnablingSwitch(rng.random_range(0..8) > 0),
                33 => Command::ReleaseStart,
                12..=15 => Command::Stop,
                16..=23 => Command::SetOverride(rng.random_range(0..=100)),
                24 | 25 => Command::SetMode([OperatingMode::T1, OperatingMode::T2, OperatingMode::AUT][rng.random_range(0..3)]),
                26..=28 => Command::SetStepMode([StepMode::Go, StepMode::Go, StepMode::Motion, StepMode::Line][rng.random_range(0..4)]),
                _ => Command::Reset,
            });
        }
        let reset = cmds.contains(&Command::Reset);
        world.step(&cmds);
        let q = world.axes_deg();
        assert!(q.iter().all(|a| a.is_finite()), "tick {tick}: {q:?}");
        if reset {
            // A reset puts the robot back at its start: no motion to judge across it.
            (prev, prev_v) = (q, [0.0; 6]);
            continue;
        }
        let v: [f64; 6] = std::array::from_fn(|i| (q[i] - prev[i]) / dt);
        for i in 0..6 {
            assert!(v[i].abs() <= m.max_speed_deg_s[i] * 1.0001, "tick {tick}: A{} at {:.1} deg/s", i + 1, v[i]);
            let a = (v[i] - prev_v[i]) / dt;
            assert!(a.abs() <= m.max_acc_deg_s2[i] * 1.0001, "tick {tick}: A{} accelerates at {a:.0} deg/s^2", i + 1);
        }
        moving += usize::from(q != prev);
        (prev, prev_v) = (q, v);
    }
    assert!(moving > 5000, "the robot moved in {moving} ticks only");
    let rec = world.recording().unwrap();
    assert!(rec.commands.len() > 100, "{} commands", rec.commands.len());
    assert_eq!(rec.replay().unwrap(), Replay::Identical { steps: 20_000 });
}
