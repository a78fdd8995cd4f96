//! The window: the cell in 3D, an orbit camera and the pendant panel, on top of `sim`.
//! Data flows one way: panel -> commands -> `World::step` -> events and state -> scene and panel.

pub mod camera;
pub mod convert;
mod editor;
mod jogging;
pub mod lesson;
mod panel;
mod plots;
pub mod replay;
pub mod scene;
mod settings;
mod watch;

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::render::view::window::screenshot::{Screenshot, save_to_disk};

use crate::sim::exercise::Grade;
use crate::sim::scenario::Loaded;
use crate::sim::world::{Command, Event, Message, World};

/// The simulated cell and what the app keeps of its events.
#[derive(Resource)]
pub struct Sim {
    pub world: World,
    /// Commands from the panel, handed to the next tick.
    pub pending: Vec<Command>,
    /// Simulated seconds per real second.
    pub speed: f64,
    accumulator: f64,
    /// Newest last.
    pub log: Vec<Message>,
    /// Load-time warnings of the program, shown in the panel.
    pub warnings: Vec<String>,
    /// Where the recording of this session goes when the app ends.
    pub record_to: Option<PathBuf>,
    /// The simulated time (s) the cell stops at, however long a frame took (scripted screenshots).
    pub hold_at: Option<f64>,
    /// This run's grade once it is over, and the tick it was judged at.
    pub grade: Option<(u64, Grade)>,
    /// Close the window at the next frame (another lesson opens in its place).
    pub quit: bool,
    /// The cell stands still (commands still take effect, each with one tick).
    pub paused: bool,
    /// Ticks to run while paused (the panel's "+1 tick").
    pub ticks_to_step: u32,
    /// What the Plots tab draws: the last minutes of the run.
    pub trace: crate::sim::trace::Trace,
    /// How far the pendant's content reaches below the window, in points (0: it fits).
    pub cut_off_px: f32,
    /// A recording being watched (`robocell replay FILE`): the pendant only shows it.
    pub replay: Option<replay::Replaying>,
    /// The plant network's servers, when the window is served too (`run --opcua ...`).
    #[cfg(feature = "net")]
    pub net: Option<crate::net::Bridge>,
}

impl Drop for Sim {
    /// The recording is written when the app (and with it this resource) goes away.
    fn drop(&mut self) {
        if let (Some(path), Some(rec)) = (&self.record_to, self.world.recording()) {
            match rec.save(path) {
                Ok(()) => println!("recording: {} ({} steps, {} commands)", path.display(), rec.steps, rec.commands.len()),
                Err(e) => eprintln!("{}: cannot write the recording: {e}", path.display()),
            }
        }
    }
}

impl Sim {
    pub fn new(world: World, warnings: Vec<String>) -> Self {
        Sim {
            world,
            pending: Vec::new(),
            speed: 1.0,
            accumulator: 0.0,
            log: Vec::new(),
            warnings,
            record_to: None,
            hold_at: None,
            grade: None,
            quit: false,
            paused: false,
            ticks_to_step: 0,
            trace: crate::sim::trace::Trace::new(0.02, 120.0),
            cut_off_px: 0.0,
            replay: None,
            #[cfg(feature = "net")]
            net: None,
        }
    }

    /// One tick; the network's clients (when served) see its events and state.
    fn step_once(&mut self, cmds: &[Command]) -> Vec<Event> {
        #[cfg(feature = "net")]
        let before = (self.world.axes_deg(), self.world.time_s());
        let ev = self.world.step(cmds);
        self.trace.record(&self.world, &ev);
        #[cfg(feature = "net")]
        if let Some(net) = &mut self.net {
            net.stepped(&self.world, &ev, before);
        }
        ev
    }

    /// A message of the window itself (saving, reading files) in the log.
    pub fn note(&mut self, text: String) {
        let time_s = self.world.time_s();
        self.log.push(Message { level: crate::sim::world::Level::Notification, text, line: None, time_s });
    }

    /// Advances the cell by `real_dt` seconds of wall time (at most 0.25 s worth per call).
    pub fn advance(&mut self, real_dt: f64) -> Vec<Event> {
        if self.replay.is_some() {
            return self.advance_replay(real_dt);
        }
        let dt = self.world.dt();
        self.accumulator = (self.accumulator + real_dt * self.speed).min(0.25 * self.speed.max(1.0));
        let mut events = Vec::new();
        #[cfg(feature = "net")]
        if let Some(net) = &mut self.net {
            self.pending.extend(net.commands());
        }
        // Commands take effect at once, even while paused between ticks.
        if !self.pending.is_empty() {
            let cmds = std::mem::take(&mut self.pending);
            events.extend(self.step_once(&cmds));
            self.accumulator = (self.accumulator - dt).max(0.0);
        }
        if self.paused {
            self.accumulator = 0.0;
            for _ in 0..std::mem::take(&mut self.ticks_to_step) {
                events.extend(self.step_once(&[]));
            }
        }
        while self.accumulator >= dt && self.hold_at.is_none_or(|t| self.world.time_s() + dt <= t + 1e-9) {
            events.extend(self.step_once(&[]));
            self.accumulator -= dt;
        }
        self.take_events(&events);
        events
    }

    /// The log and the files of a tick's events.
    fn take_events(&mut self, events: &[Event]) {
        for e in events {
            if let Event::WriteFile { path, text } = e {
                // Written in the file's own encoding and line ends.
                match crate::sim::krl::source::write_keeping(path, text) {
                    Ok(()) => self.note(format!("Saved {}", path.display())),
                    Err(e) => self.note(format!("{}: cannot write it: {e} (the text is kept in the editor)", path.display())),
                }
            }
            self.log_event(e);
        }
    }

    /// A message into the log; a reset clears the messages of the run before.
    fn log_event(&mut self, e: &Event) {
        if let Event::Message(m) = e {
            self.log.push(m.clone());
            if m.text == "Program reset" {
                self.log.retain(|m| m.text.ends_with("Program reset"));
            }
        }
    }

    /// The recording's clock: a seek asked for, or its steps at the simulation speed while not
    /// paused. The pendant's commands are dropped (a recorded run is only watched) and nothing
    /// is written.
    fn advance_replay(&mut self, real_dt: f64) -> Vec<Event> {
        let dt = self.world.dt();
        if !self.pending.is_empty() {
            self.pending.clear();
            self.note("A replay: the pendant shows the recorded run and takes no commands".into());
        }
        let Some(r) = &mut self.replay else { return Vec::new() };
        let mut events = Vec::new();
        if let Some(to) = r.seek.take() {
            // The plots and the log as they stood at that moment (the plots from the keyframe on).
            self.trace = crate::sim::trace::Trace::new(self.trace.every_s, self.trace.window_s);
            let trace = &mut self.trace;
            r.timeline.seek(&mut self.world, r.at, to, |w, ev| trace.record(w, ev));
            r.at = to;
            self.log = self.world.messages().to_vec();
            self.accumulator = 0.0;
        }
        let mut ticks = std::mem::take(&mut self.ticks_to_step) as u64;
        if !self.paused {
            self.accumulator = (self.accumulator + real_dt * self.speed).min(0.25 * self.speed.max(1.0));
            while self.accumulator >= dt {
                self.accumulator -= dt;
                ticks += 1;
            }
        }
        for _ in 0..ticks.min(r.timeline.steps - r.at) {
            let ev = r.timeline.step(&mut self.world, r.at);
            r.at += 1;
            self.trace.record(&self.world, &ev);
            events.extend(ev);
        }
        if r.at >= r.timeline.steps {
            self.paused = true;
        }
        for e in &events {
            self.log_event(e);
        }
        events
    }
}

/// Steps the cell from bevy's clock. Headless tests use this plugin alone with `MinimalPlugins`.
pub struct SimPlugin;

impl Plugin for SimPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, (step_sim, scene::sync_robot, scene::sync_parts).chain());
    }
}

fn step_sim(time: Res<Time>, mut sim: ResMut<Sim>, mut exit: MessageWriter<AppExit>) {
    sim.advance(time.delta_secs_f64());
    if sim.quit {
        exit.write(AppExit::Success);
    }
}

impl Default for Script {
    fn default() -> Self {
        Script {
            autostart: false,
            screenshot: None,
            speed: 1.0,
            record: None,
            size: (1400, 860),
            tab: "program".into(),
            lesson: None,
            view: None,
            trail: false,
            frames: false,
            #[cfg(feature = "net")]
            serve: None,
        }
    }
}

/// Options for a scripted run (screenshots for docs and checks).
#[derive(Resource, Clone, Debug)]
pub struct Script {
    /// Press Start when the window opens.
    pub autostart: bool,
    /// Take a screenshot of the window at this simulated time, then quit.
    pub screenshot: Option<(PathBuf, f64)>,
    /// Run the simulation this many times faster than real time.
    pub speed: f64,
    /// Record the session to this file; it is written when the app ends.
    pub record: Option<PathBuf>,
    /// The window's size in pixels (e.g. a projector's 1280 x 720).
    pub size: (u32, u32),
    /// The pendant's tab at the start: lesson, program, jog, watch or io.
    pub tab: String,
    /// The lesson the window shows in its Lesson tab (`robocell lesson N`).
    pub lesson: Option<lesson::LessonInfo>,
    /// The camera's view at the start.
    pub view: Option<camera::View>,
    /// Draw the TCP's trail from the start.
    pub trail: bool,
    /// Draw the program's `$BASE` and `$TOOL` from the start.
    pub frames: bool,
    /// Serve the cell on the plant network too (OPC UA, MQTT, Modbus TCP).
    #[cfg(feature = "net")]
    pub serve: Option<crate::net::ServeOptions>,
}

fn run_script(
    mut commands: Commands,
    mut sim: ResMut<Sim>,
    script: Res<Script>,
    mut state: Local<ScriptState>,
    mut exit: MessageWriter<AppExit>,
) {
    if script.autostart && !state.started && sim.pending.is_empty() {
        state.started = true;
        // A scripted run holds the enabling switch and Start (T1 and T2 need both).
        sim.pending.push(Command::EnablingSwitch(true));
        sim.pending.push(Command::Start);
    }
    let Some((path, at)) = &script.screenshot else { return };
    // The cell stops exactly at the requested time, whatever the frame times were (a replay
    // stands paused at its moment already).
    if sim.replay.is_none() {
        sim.hold_at = Some(*at);
        if state.paused_frames == 0 && sim.world.time_s() + sim.world.dt() <= *at + 1e-9 {
            return;
        }
    }
    // Let a few frames draw the held cell before the capture.
    state.paused_frames += 1;
    if state.paused_frames == 10 {
        if sim.cut_off_px > 0.5 {
            eprintln!("the pendant does not fit: {:.0} px of it are below the window", sim.cut_off_px);
        }
        commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path.clone()));
    } else if state.paused_frames > 15 && path.exists() || state.paused_frames > 600 {
        exit.write(AppExit::Success);
    }
}

#[derive(Default)]
struct ScriptState {
    started: bool,
    paused_frames: u32,
}

/// Why the window did not open.
#[derive(Debug)]
pub enum RunError {
    /// The scenario's problems.
    Scenario(Vec<crate::sim::krl::Diagnostic>),
    /// A server could not start (a port taken, a bad address).
    Network(String),
}

/// Builds the full windowed app for a loaded scenario.
pub fn build(loaded: Loaded, script: Script) -> Result<App, RunError> {
    let title = format!("robocell - {}", loaded.scenario.name);
    // A program with errors opens too: the editor shows them, Start waits for the fix.
    let (world, warnings) = World::open(loaded);
    build_world(world, warnings.iter().map(|w| w.to_string()).collect(), title, script, None)
}

/// The window on a recording (`robocell replay FILE`), at step `at` of it, paused there.
pub fn replay(timeline: crate::sim::timeline::Timeline, file: String, at: u64, script: Script) -> Result<(), RunError> {
    let world = timeline.world_at(0);
    let title = format!("robocell - replay of {file} ({})", world.loaded().scenario.name);
    let mut r = replay::Replaying::new(timeline, file);
    r.seek = Some(at);
    build_world(world, Vec::new(), title, script, Some(r))?.run();
    Ok(())
}

fn build_world(
    mut world: World,
    warnings: Vec<String>,
    title: String,
    script: Script,
    replay: Option<replay::Replaying>,
) -> Result<App, RunError> {
    if script.record.is_some() {
        world.start_recording();
    }
    #[cfg(feature = "net")]
    let net = match &script.serve {
        Some(o) => {
            let bridge = crate::net::Bridge::start(&world, o, None).map_err(RunError::Network)?;
            bridge.report.print_endpoints(&world.loaded().scenario.name);
            Some(bridge)
        }
        None => None,
    };
    let mut sim = Sim::new(world, warnings);
    sim.paused = replay.is_some();
    sim.replay = replay;
    #[cfg(feature = "net")]
    {
        sim.net = net;
    }
    sim.record_to = script.record.clone();
    if script.speed > 0.0 {
        sim.speed = script.speed;
    }
    let lesson = script.lesson.clone();
    let view = camera::CameraView { request: script.view, current: None };
    let mut app = App::new();
    app.insert_resource(view).insert_resource(scene::Overlays {
        tcp_trail: script.trail,
        frames: script.frames,
        path_ahead: script.frames,
    });
    if let Some(l) = lesson {
        app.insert_resource(l);
    }
    app.insert_resource(ClearColor(Color::srgb(0.80, 0.84, 0.88)))
        .add_plugins(
            DefaultPlugins
                .set(WindowPlugin { primary_window: Some(Window { title, resolution: script.size.into(), ..default() }), ..default() }),
        )
        .add_plugins(bevy_egui::EguiPlugin::default())
        .insert_resource(sim)
        .insert_resource(script)
        .add_plugins(SimPlugin)
        .add_plugins((scene::ScenePlugin, camera::CameraPlugin, panel::PanelPlugin))
        .add_systems(Update, run_script.before(step_sim));
    Ok(app)
}

/// Opens the window and runs until it is closed.
pub fn run(loaded: Loaded, script: Script) -> Result<(), RunError> {
    build(loaded, script)?.run();
    Ok(())
}
