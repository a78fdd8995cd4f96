//! The app driven headless: bevy's MinimalPlugins, the sim plugin, a manual clock.

use std::time::Duration;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use robocell::app::scene::{PartEntity, RobotLink};
use robocell::app::{Sim, SimPlugin, convert};
use robocell::sim::world::{Command, ProgramState, World};

use super::default_scenario;

#[test]
fn app_steps_the_cell_and_moves_the_robot_and_parts() {
    let (cell, _) = World::new(default_scenario()).unwrap();
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(50)))
        .insert_resource(Sim::new(cell, Vec::new()))
        .add_plugins(SimPlugin);
    app.world_mut().resource_mut::<Sim>().pending.push(Command::Start);
    for _ in 0..200 {
        app.update();
    }
    let world = app.world_mut();
    let sim = world.resource::<Sim>();
    assert_eq!(sim.world.state(), ProgramState::Running);
    assert!(sim.world.time_s() > 8.0, "the clock drove the cell: {}", sim.world.time_s());
    // The Plots tab's data follows every tick: the belt's motor switched on at the start.
    let last = sim.trace.samples.back().expect("samples");
    assert!(sim.world.time_s() - last.time_s < 0.02 + 1e-9, "the trace keeps up: {} vs {}", last.time_s, sim.world.time_s());
    assert!(sim.trace.lanes[&robocell::sim::trace::Signal::Out(1)][0].value);
    let frames = sim.world.link_frames_world();
    let n_parts = sim.world.parts().len();
    let mut links = world.query::<(&RobotLink, &Transform)>();
    let got: Vec<(usize, Transform)> = links.iter(world).map(|(l, t)| (l.0, *t)).collect();
    assert_eq!(got.len(), 7);
    for (i, t) in got {
        let want = convert::transform(&frames[i]);
        assert!((t.translation - want.translation).length() < 1e-4, "link {i} at {}, the cell has {}", t.translation, want.translation);
        // Same turn: unit quaternions q and -q alike (f32, so to 1e-5).
        assert!(1.0 - t.rotation.dot(want.rotation).abs() < 1e-5, "link {i} turned {:?}, the cell has {:?}", t.rotation, want.rotation);
    }
    // Every part the cell has is drawn where the cell has it, turned as it is.
    let views = world.resource::<Sim>().world.parts();
    let mut parts = world.query::<(&PartEntity, &Transform)>();
    assert!(n_parts > 0);
    let drawn: Vec<(usize, Transform)> = parts.iter(world).map(|(p, t)| (p.0, *t)).collect();
    assert_eq!(drawn.len(), n_parts);
    for v in &views {
        let (_, t) = drawn.iter().find(|(id, _)| *id == v.id).unwrap_or_else(|| panic!("part {} is not drawn", v.id));
        let want = convert::transform(&v.pose);
        assert!((t.translation - want.translation).length() < 1e-4, "part {}", v.id);
        assert!(1.0 - t.rotation.dot(want.rotation).abs() < 1e-5, "part {}", v.id);
    }
}

/// Pause holds the whole cell whatever the clock does; "+1 tick" advances it by exactly one
/// tick; 20x runs twenty simulated seconds per real second.
#[test]
fn pause_holds_the_cell_and_one_tick_is_one_tick() {
    let (cell, _) = World::new(default_scenario()).unwrap();
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(50)))
        .insert_resource(Sim::new(cell, Vec::new()))
        .add_plugins(SimPlugin);
    app.world_mut().resource_mut::<Sim>().pending.push(Command::Start);
    for _ in 0..20 {
        app.update();
    }
    let t0 = app.world().resource::<Sim>().world.time_s();
    app.world_mut().resource_mut::<Sim>().paused = true;
    for _ in 0..20 {
        app.update();
    }
    let held = app.world().resource::<Sim>().world.time_s();
    assert_eq!(held, t0, "paused: no tick");
    app.world_mut().resource_mut::<Sim>().ticks_to_step = 1;
    app.update();
    let dt = app.world().resource::<Sim>().world.dt();
    assert!((app.world().resource::<Sim>().world.time_s() - (held + dt)).abs() < 1e-9, "one tick of {dt} s");
    // 20x: 10 frames of 50 ms are 0.5 s of wall time, 10 s simulated.
    {
        let mut s = app.world_mut().resource_mut::<Sim>();
        s.paused = false;
        s.speed = 20.0;
    }
    let before = app.world().resource::<Sim>().world.time_s();
    for _ in 0..10 {
        app.update();
    }
    let ran = app.world().resource::<Sim>().world.time_s() - before;
    assert!((ran - 10.0).abs() < 0.05, "20x for 0.5 s ran {ran} s");
}

/// A screenshot of the window under Xvfb with software Vulkan: RGB rows of `size`. Needs
/// `xvfb-run` and a Vulkan driver (Debian: xvfb mesa-vulkan-drivers libvulkan1); CI installs
/// both (`.ci/run`). Without them the test fails and says what to install.
struct Shot {
    rgb: Vec<u8>,
    width: u32,
    /// What the window said on stderr (e.g. that the pendant does not fit).
    stderr: String,
}

impl Shot {
    fn px(&self, x: u32, y: u32) -> (u8, u8, u8) {
        let i = (y * self.width + x) as usize * 3;
        (self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }
}

fn screenshot(args: &[&str], size: (u32, u32), name: &str) -> Shot {
    let have_xvfb = std::process::Command::new("sh").args(["-c", "command -v xvfb-run"]).output().is_ok_and(|o| o.status.success());
    assert!(have_xvfb, "the render test needs xvfb-run and a Vulkan driver: apt-get install xvfb mesa-vulkan-drivers libvulkan1");
    let out = std::env::temp_dir().join(format!("robocell-{name}-{}.png", std::process::id()));
    let _ = std::fs::remove_file(&out);
    let err_file = out.with_extension("stderr");
    let mut child = std::process::Command::new("xvfb-run")
        .args(["-a", "-s", &format!("-screen 0 {}x{}x24", size.0, size.1), env!("CARGO_BIN_EXE_robocell")])
        .args(args)
        .arg("--size")
        .arg(format!("{}x{}", size.0, size.1))
        .arg("--screenshot")
        .arg(&out)
        .current_dir(super::root())
        .env("RUST_LOG", "error")
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .stderr(std::fs::File::create(&err_file).unwrap())
        .spawn()
        .expect("xvfb-run starts");
    // A hung window must not hang the suite: five minutes at most, however slow the machine.
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(s) = child.try_wait().expect("waits") {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("robocell {args:?} did not finish within 300 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let stderr = std::fs::read_to_string(&err_file).unwrap_or_default();
    let _ = std::fs::remove_file(&err_file);
    assert!(status.success(), "robocell {args:?} exited with {status}: {stderr}");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).expect("screenshot written")));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), size);
    let bpp = info.line_size / info.width as usize;
    let mut rgb = Vec::with_capacity((size.0 * size.1 * 3) as usize);
    for y in 0..info.height as usize {
        for x in 0..info.width as usize {
            let i = y * info.line_size + x * bpp;
            rgb.extend_from_slice(&buf[i..i + 3]);
        }
    }
    let _ = std::fs::remove_file(&out);
    Shot { rgb, width: info.width, stderr }
}

/// The window with the default scenario: the robot in the 3D view, the pendant on the right.
/// The cell is held at exactly 3 simulated seconds, so the picture does not depend on frame times.
#[test]
fn renders_the_cell_offscreen() {
    let shot = screenshot(&["run", "--start", "--speed", "4", "--at", "3"], (1400, 860), "render");
    // KUKA orange of the robot in the 3D view, the dark pendant panel on the right.
    let mut orange = 0;
    for y in (0..860).step_by(2) {
        for x in (0..900).step_by(2) {
            let (r, g, b) = shot.px(x, y);
            if r > 180 && (60..150).contains(&g) && b < 60 {
                orange += 1;
            }
        }
    }
    assert!(orange > 500, "the robot is drawn: {orange} orange samples");
    let (r, g, b) = shot.px(1300, 800);
    assert!(r < 60 && g < 60 && b < 60, "the panel is drawn: {:?}", (r, g, b));
}

/// A laptop's 1366x768 and a projector's 1920x1080: the whole pendant fits (its messages show
/// below the tab), the robot is drawn, for the listing and for the plots.
#[test]
fn the_window_fits_a_laptop_and_a_full_hd_projector() {
    for (size, tab) in [((1366, 768), "program"), ((1920, 1080), "plots")] {
        let shot = screenshot(&["run", "--start", "--speed", "4", "--at", "5", "--tab", tab], size, "fits");
        assert!(!shot.stderr.contains("does not fit"), "{size:?} {tab}: {}", shot.stderr);
        let orange = (0..size.1).step_by(3).flat_map(|y| (0..size.0 / 2).step_by(3).map(move |x| (x, y)));
        let orange = orange.filter(|&(x, y)| {
            let (r, g, b) = shot.px(x, y);
            r > 180 && (60..150).contains(&g) && b < 60
        });
        assert!(orange.count() > 200, "{size:?}: the robot is drawn");
    }
}

/// `--frames` draws the program's $BASE (lesson 3 measures one on a turned table) and $TOOL as
/// red, green and blue axes: red lines appear in the 3D view that are not there without it.
#[test]
fn frames_draw_the_base_and_the_tool() {
    let args = ["run", "lessons/03", "--program", "lessons/03/solution/base_square.src", "--start", "--speed", "4", "--at", "8"];
    let red = |shot: &Shot| {
        let mut n = 0;
        for y in 0..768 {
            for x in 0..890 {
                let (r, g, b) = shot.px(x, y);
                // The X axis' red after tonemapping, about (211, 103, 86); the robot's orange
                // has less blue, the table's beige more green.
                n += usize::from(r > 180 && r as u16 > g as u16 + 80 && (70..110).contains(&b));
            }
        }
        n
    };
    let plain = red(&screenshot(&args, (1366, 768), "noframes"));
    let with: Vec<&str> = args.iter().copied().chain(["--frames"]).collect();
    let framed = red(&screenshot(&with, (1366, 768), "frames"));
    assert!(framed > plain + 40, "red axes drawn: {framed} red pixels with --frames, {plain} without");
}

/// `robocell replay FILE --at failure` on a run that drove the tool into the belt: the viewer
/// opens with its timeline under the cell (a dark bar with the white playhead), at 1366x768,
/// with the pendant whole.
#[test]
fn the_replay_viewer_opens_at_the_failure() {
    let dir = std::env::temp_dir().join(format!("robocell-replay-window-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let crash = std::fs::read_to_string(super::root().join("tests/krl/collision.src")).unwrap().replace("DEF collision", "DEF pick_place");
    std::fs::write(dir.join("pick_place.src"), crash).unwrap();
    let rec = dir.join("crash.ron");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_robocell"))
        .args(["check", "--program", dir.join("pick_place.src").to_str().unwrap(), "--record", rec.to_str().unwrap()])
        .current_dir(super::root())
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1), "the run loses points");
    let shot = screenshot(&["replay", rec.to_str().unwrap(), "--at", "failure"], (1366, 768), "replay");
    assert!(!shot.stderr.contains("does not fit"), "{}", shot.stderr);
    // The bar: dark grey (40) and, before the playhead, the played part (70); the playhead white.
    let (mut bar, mut played, mut head) = (0, 0, 0);
    for y in 700..768 {
        for x in 0..800 {
            match shot.px(x, y) {
                (40, 40, 40) => bar += 1,
                (70, 70, 70) => played += 1,
                (255, 255, 255) => head += 1,
                _ => {}
            }
        }
    }
    assert!(bar > 3000 && played > 1000 && head >= 20, "the timeline is drawn: bar {bar}, played {played}, playhead {head}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `robocell lesson 7` at a projector's 1280x720: the starter lands in the work folder and the
/// Lesson tab draws the lesson (its text, objectives and Check) where the Program tab draws the
/// listing: the two pictures of the panel differ.
#[test]
fn renders_a_lesson_in_its_tab() {
    let work = std::env::temp_dir().join(format!("robocell-lesson-window-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let w = work.to_str().unwrap();
    let lesson = screenshot(&["lesson", "7", "--work", w, "--at", "1"], (1280, 720), "lesson");
    assert!(work.join("07/sort_parts.src").is_file() && work.join("07/sort_parts.dat").is_file(), "the starter was copied");
    let program = screenshot(&["lesson", "7", "--work", w, "--at", "1", "--tab", "program"], (1280, 720), "lesson-program");
    let mut differ = 0;
    for y in (250..720).step_by(2) {
        for x in (830..1280).step_by(2) {
            differ += usize::from(lesson.px(x, y) != program.px(x, y));
        }
    }
    assert!(differ > 2000, "the Lesson tab draws something else than the Program tab: {differ} samples differ");
    std::fs::remove_dir_all(&work).unwrap();
}

/// The pendant's commands through the app: jog in T1 with the enabling switch, touch up, and
/// the window writes the `.dat` to disk in the file's own encoding (code page 1252, CR LF).
#[test]
fn app_drives_the_pendant_and_writes_the_touched_up_dat() {
    use robocell::sim::scenario::Scenario;
    use robocell::sim::world::{JogFrame, JogIncrement};
    let dir = std::env::temp_dir().join(format!("robocell-app-teach-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["teach.ron", "teach.src", "teach.dat"] {
        std::fs::copy(super::root().join("scenarios").join(f), dir.join(f)).unwrap();
    }
    let (cell, _) = World::new(Scenario::load(&dir.join("teach.ron")).unwrap()).unwrap();
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(50)))
        .insert_resource(Sim::new(cell, Vec::new()))
        .add_plugins(SimPlugin);
    let send = |app: &mut App, c: Command| app.world_mut().resource_mut::<Sim>().pending.push(c);
    send(&mut app, Command::EnablingSwitch(true));
    send(&mut app, Command::SetJogFrame(JogFrame::Axes));
    send(&mut app, Command::SetJogIncrement(JogIncrement::Mm10));
    send(&mut app, Command::Jog { key: 0, plus: true });
    for _ in 0..40 {
        app.update();
    }
    send(&mut app, Command::JogRelease);
    app.update();
    let a1 = app.world().resource::<Sim>().world.axes_deg()[0];
    assert!((a1 - 3.0).abs() < 1e-9, "A1 jogged 3°: {a1}");
    // Line 9 is the fold of PTP P1.
    send(&mut app, Command::TouchUp { line: 9, aux: false });
    app.update();
    let bytes = std::fs::read(dir.join("teach.dat")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(bytes.windows(4).any(|b| b == b"f\xfcr "), "still code page 1252");
    assert!(!bytes.windows(2).any(|b| b[1] == b'\n' && b[0] != b'\r'), "every line ends in CR LF");
    let text = robocell::sim::krl::source::decode(&bytes).text;
    let xp1 = text.lines().find(|l| l.starts_with("DECL E6POS XP1=")).unwrap();
    assert!(!xp1.contains("X 600.0,Y 0.0,Z 700.0"), "XP1 was touched up: {xp1}");
}

/// The replay viewer in the app: it opens where it is asked (the step after the collision),
/// plays the recorded steps by the clock with the recorded commands, drops the pendant's
/// commands, stops at the end, and goes back to any moment exactly as the run stood there.
#[test]
fn the_replay_viewer_plays_and_seeks_the_recorded_run_and_ignores_the_pendant() {
    use robocell::app::replay::Replaying;
    use robocell::sim::timeline::Timeline;
    use robocell::sim::world::Event;
    let mut loaded = default_scenario();
    let file = super::root().join("tests/krl/collision.src");
    loaded.src = std::fs::read_to_string(&file).unwrap();
    loaded.src_path = file;
    loaded.dat = None;
    let (mut w, _) = World::new(loaded).unwrap();
    w.start_recording();
    w.run_to_end();
    let rec = w.recording().unwrap();
    // The run stepped by hand: each step's fingerprint and the collision's step.
    let (mut w, _) = World::new(rec.loaded().unwrap()).unwrap();
    let (mut prints, mut hit) = (vec![w.fingerprint()], None);
    for step in 0..rec.steps {
        let cmds: Vec<_> = rec.commands.iter().filter(|c| c.step == step).map(|c| c.command.clone()).collect();
        if w.step(&cmds).iter().any(|e| matches!(e, Event::Collision { .. })) && hit.is_none() {
            hit = Some(step);
        }
        prints.push(w.fingerprint());
    }
    let hit = hit.expect("the robot hits the belt");
    let timeline = Timeline::build(&rec).unwrap();
    let steps = timeline.steps;
    let mut sim = Sim::new(timeline.world_at(0), Vec::new());
    let mut r = Replaying::new(timeline, "crash.ron".into());
    r.seek = r.timeline.failure();
    sim.replay = Some(r);
    sim.paused = true;
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(50)))
        .insert_resource(sim)
        .add_plugins(SimPlugin);
    app.update();
    let at = |app: &App| app.world().resource::<Sim>().replay.as_ref().unwrap().at;
    let sim = app.world().resource::<Sim>();
    assert_eq!(at(&app), hit + 1);
    assert_eq!(sim.world.fingerprint(), prints[hit as usize + 1]);
    assert_eq!(sim.world.state(), ProgramState::Faulted);
    assert!(sim.log.iter().any(|m| m.text.starts_with("Collision")), "the log as it stood then");
    // Back to tick 10, then play at 1x: 50 ms frames of 4 ms ticks.
    {
        let mut sim = app.world_mut().resource_mut::<Sim>();
        sim.replay.as_mut().unwrap().seek = Some(10);
        sim.paused = false;
    }
    for _ in 0..4 {
        app.update();
    }
    let now = at(&app);
    assert!((10 + 48..=10 + 52).contains(&now), "0.2 s played: tick {now}");
    assert_eq!(app.world().resource::<Sim>().world.fingerprint(), prints[now as usize]);
    // The pendant's Stop is dropped, with a note: the recorded run goes on as recorded.
    app.world_mut().resource_mut::<Sim>().pending.push(Command::Stop);
    app.update();
    let sim = app.world().resource::<Sim>();
    assert_eq!(sim.world.fingerprint(), prints[at(&app) as usize]);
    assert!(sim.log.iter().any(|m| m.text.starts_with("A replay:")));
    // At 20x it plays to the end and stops there.
    app.world_mut().resource_mut::<Sim>().speed = 20.0;
    for _ in 0..200 {
        app.update();
    }
    assert_eq!(at(&app), steps);
    assert!(app.world().resource::<Sim>().paused);
    assert_eq!(app.world().resource::<Sim>().world.fingerprint(), prints[steps as usize]);
}
