//! The world: the controller, the physical cell and the exercise, advanced together by one
//! `step(commands) -> events`. Commands are the only way to change a running world, so a list of
//! (tick, command) replays a session exactly.
//!
//! Order inside a tick: commands -> sensors to inputs -> advance run -> main run (axes) ->
//! outputs to actuators -> physics -> collisions -> the exercise's judgement -> events.

mod files;
mod phases;

pub use self::phases::{NoClock, Phase, PhaseClock};

use std::path::PathBuf;

use nalgebra::Isometry3;
use serde::{Deserialize, Serialize};

use super::cell::Cell;
use super::cell::physics::{PartView, RobotShape};
use super::controller::Controller;
pub use super::controller::jog::{JogFrame, JogIncrement};
pub use super::controller::{Level, Message, ProgramState, StepMode};
use super::exercise::{Exercise, RunRecord, Tick};
use super::io::Io;
use super::kinematics::{fk, link_frames};
use super::krl::Diagnostic;
pub use super::krl::teach::{FormKind, MotionForm};
use super::krl::value::Value;
use super::orders::{OrderBook, OrderRecord};
use super::record::{Recorder, Recording};
use super::robot::RobotModel;
use super::scenario::{FaultKind, Loaded, OperatingMode};

/// What the pendant, the CLI or a recording can ask of the world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Start or continue the program.
    Start,
    /// STOP key: the program stops and the robot brakes on its path (STOP 2); Start continues.
    Stop,
    /// Back to the scenario's initial state (the override is kept).
    Reset,
    /// Program override `$OV_PRO`, percent: the robot's path speed ramps to it at once.
    SetOverride(u8),
    /// Operating mode `$MODE_OP`: a running program stops (STOP 2); T1's speed cap holds from
    /// the next motion planned.
    SetMode(OperatingMode),
    /// How far one Start runs the program.
    SetStepMode(StepMode),
    /// The E-STOP button pressed (true) or released (false): STOP 1 in every mode.
    EmergencyStop(bool),
    /// The safety gate opened (true) or closed (false).
    SetDoor(bool),
    /// Acknowledge every message whose cause is gone ("Confirm all").
    Acknowledge,
    /// Acknowledge one of the messages waiting (index into `to_acknowledge`).
    AcknowledgeOne(usize),
    /// A fault, injected live (an instructor) or from the scenario's schedule.
    InjectFault {
        kind: FaultKind,
        for_s: Option<f64>,
    },
    /// The enabling switch held in its centre position (true) or let go.
    EnablingSwitch(bool),
    /// The Start key let go: in T1 and T2 the program stops (STOP 2).
    ReleaseStart,
    /// A jog key pressed: `key` 0..=5 is A1..A6 or X, Y, Z, A, B, C in the jog frame.
    Jog {
        key: u8,
        plus: bool,
    },
    /// The jog key let go.
    JogRelease,
    SetJogFrame(JogFrame),
    SetJogIncrement(JogIncrement),
    /// `$OV_JOG`, percent.
    SetJogOverride(u8),
    /// The pendant's tool (`TOOL_DATA[n]`) and base (`BASE_DATA[n]`, 0 the world).
    SelectTool(u8),
    SelectBase(u8),
    /// A breakpoint on `line` of module `file` (its file name, e.g. `pick.src`; None: the
    /// program's own module).
    SetBreakpoint {
        file: Option<String>,
        line: u32,
        on: bool,
    },
    /// Block selection: the program pointer to `line` of the main routine.
    SelectBlock {
        line: u32,
    },
    /// Touch-up of the point of the motion at `line` (CIRC: the auxiliary point with `aux`):
    /// the pose now, in the selected tool and base, into the `.dat`, which is written.
    TouchUp {
        line: u32,
        aux: bool,
    },
    /// A new motion from the inline form below `after_line`, at the pose now; both files are
    /// written.
    NewMotion {
        after_line: u32,
        form: MotionForm,
    },
    /// The editor changed a program file (not saved yet).
    Edit {
        file: PathBuf,
        text: String,
    },
    /// A program file read again from disk (`text` as it is there).
    Reload {
        file: PathBuf,
        text: String,
    },
    /// Save an edited file.
    Save {
        file: PathBuf,
    },
    /// `$IN[n]` set from outside (a PLC, an MES): only the inputs the scenario's `plant` names.
    SetInput {
        n: usize,
        value: bool,
    },
    /// `$ANIN[n]` set from outside (-1.0 ..= 1.0): only the scenario's plant analog inputs.
    SetAnalogInput {
        n: usize,
        value: f64,
    },
    /// Select another module of the program's folder as the program (by its name, `cell` or
    /// `cell.src`); refused while the program is active.
    SelectProgram {
        name: String,
    },
    /// A production order from the MES: part type -> count. It waits until the orders before
    /// it are filled, then goes on the program's inputs.
    PlaceOrder {
        parts: std::collections::BTreeMap<String, u32>,
    },
}

/// Where an order is: arrived, on the program's inputs, reported filled by the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderStage {
    Received,
    Placed,
    Done,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Message(Message),
    /// The program switched an output at `line`.
    Output {
        n: usize,
        value: bool,
        line: u32,
    },
    Input {
        n: usize,
        value: bool,
    },
    State(ProgramState),
    MotionStarted {
        line: u32,
    },
    MotionDone {
        line: u32,
    },
    /// A part came into the cell; `kind` indexes [`World::part_types`].
    PartSpawned {
        id: usize,
        kind: usize,
    },
    /// A bin's drain took a part out.
    PartDrained {
        id: usize,
    },
    PartDelivered {
        id: usize,
        bin: String,
        total: u32,
    },
    PartPicked {
        id: usize,
    },
    PartReleased {
        id: usize,
    },
    Collision {
        link: String,
        with: String,
    },
    /// A fault was injected (scheduled or live): for the log, not shown as a message.
    Fault {
        what: String,
    },
    /// A program file is to be written (save, touch-up, new motion). The core does no I/O: the
    /// window writes it, in the file's encoding and line ends (`krl::source::write_keeping`).
    WriteFile {
        path: PathBuf,
        text: String,
    },
    /// A production order moved on (see [`super::orders`]).
    Order {
        id: u32,
        stage: OrderStage,
    },
}

#[derive(Clone)]
pub struct World {
    loaded: Loaded,
    controller: Controller,
    cell: Cell,
    exercise: Exercise,
    pub io: Io,
    /// The gripper's TCP on the flange (`TOOL_DATA[1]`).
    tool: Isometry3<f64>,
    tick: u64,
    dt: f64,
    messages: Vec<Message>,
    /// Set while the session is being recorded.
    recorder: Option<Recorder>,
    /// Any step has run, a Reset included (which keeps the override, so the state after it is
    /// not the scenario's initial one).
    stepped: bool,
    /// A fault's E-STOP is released at this time.
    estop_release_at: Option<f64>,
    /// The program objectives, judged on the text the first time they are asked for.
    program_results: std::sync::OnceLock<Vec<super::exercise::ObjectiveResult>>,
    /// The program files as last saved or read (path, text): an edited one differs.
    saved: Vec<(PathBuf, String)>,
    /// The program's diagnostics as last loaded: errors (the program does not run) and warnings.
    diagnostics: Vec<Diagnostic>,
    /// Production orders from the MES and their handshake on the inputs.
    orders: OrderBook,
}

impl World {
    /// Builds the world. KRL syntax errors (and warnings) come back as diagnostics.
    pub fn new(loaded: Loaded) -> Result<(World, Vec<Diagnostic>), Vec<Diagnostic>> {
        let (controller, diags) = Controller::new(&loaded)?;
        let sc = &loaded.scenario;
        let tool = sc.tool.tcp.to_iso();
        let q = controller.axes_deg();
        let robroot = controller.robroot();
        let tcp = robroot * fk(controller.model(), &q) * tool;
        let cell = Cell::new(sc, controller.model(), &robroot, &q, tcp);
        let orders = OrderBook::new(sc.plant.orders.clone());
        let mut world = World {
            exercise: Exercise::new(sc.objectives.clone(), sc.gripper.outputs().into_iter().map(|o| o.1).collect()),
            dt: sc.tick_ms as f64 / 1000.0,
            loaded,
            controller,
            cell,
            io: Io::default(),
            tool,
            tick: 0,
            messages: Vec::new(),
            recorder: None,
            stepped: false,
            estop_release_at: None,
            program_results: std::sync::OnceLock::new(),
            saved: Vec::new(),
            diagnostics: diags.clone(),
            orders,
        };
        world.mark_saved();
        Ok((world, diags))
    }

    // ---------- read-only state ----------

    pub fn loaded(&self) -> &Loaded {
        &self.loaded
    }
    pub fn controller(&self) -> &Controller {
        &self.controller
    }
    pub fn exercise(&self) -> &Exercise {
        &self.exercise
    }
    pub fn model(&self) -> &RobotModel {
        self.controller.model()
    }
    pub fn axes_deg(&self) -> [f64; 6] {
        self.controller.axes_deg()
    }
    /// Frames along the arm in the world (mm), see [`super::kinematics::link_frames`].
    pub fn link_frames_world(&self) -> [Isometry3<f64>; 7] {
        let robroot = self.controller.robroot();
        link_frames(self.model(), &self.axes_deg()).map(|f| robroot * f)
    }
    /// The gripper's TCP in the world, mm.
    pub fn tcp_world(&self) -> Isometry3<f64> {
        self.controller.robroot() * fk(self.model(), &self.axes_deg()) * self.tool
    }
    /// Where the TCP goes along the motions planned and queued, in the world (mm): every
    /// `every`-th tick of the planned path, its end included.
    pub fn planned_path_world(&self, every: usize) -> Vec<nalgebra::Vector3<f64>> {
        let robroot = self.controller.robroot();
        self.controller.path_ahead(every).iter().map(|(q, tool)| (robroot * fk(self.model(), q) * tool).translation.vector).collect()
    }
    /// The program's active frames in the world, mm: `$BASE` and the TCP of `$TOOL` (as the
    /// program last set them; the world frame and the flange before it does).
    pub fn frames_world(&self) -> (Isometry3<f64>, Isometry3<f64>) {
        let frame = |name: &str| match self.variable(name) {
            Some(Value::Struct(s)) => s.to_frame().map_or_else(Isometry3::identity, |f| f.to_iso()),
            _ => Isometry3::identity(),
        };
        let flange = self.controller.robroot() * fk(self.model(), &self.axes_deg());
        (frame("$BASE"), flange * frame("$TOOL"))
    }
    pub fn time_s(&self) -> f64 {
        self.tick as f64 * self.dt
    }
    pub fn tick(&self) -> u64 {
        self.tick
    }
    pub fn dt(&self) -> f64 {
        self.dt
    }
    pub fn state(&self) -> ProgramState {
        self.controller.state()
    }
    pub fn advance_line(&self) -> u32 {
        self.controller.advance_line()
    }
    pub fn main_run_line(&self) -> Option<u32> {
        self.controller.main_run_line()
    }
    pub fn delivered(&self) -> u32 {
        self.exercise.delivered()
    }
    pub fn collisions(&self) -> &[super::exercise::Incident] {
        self.exercise.collisions()
    }
    /// Every controller message so far, oldest first.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }
    /// The run is over: the program ended, faulted or halted, or the time limit passed.
    pub fn run_over(&self) -> bool {
        self.time_s() >= self.loaded.scenario.time_limit_s
            || matches!(self.state(), ProgramState::Finished | ProgramState::Faulted | ProgramState::Halted)
    }
    pub fn parts(&self) -> Vec<PartView> {
        self.cell.parts()
    }
    pub fn holding(&self) -> Option<usize> {
        self.cell.holding()
    }
    /// The parallel gripper's opening, mm (None for another tool).
    pub fn finger_gap(&self) -> Option<f64> {
        self.cell.finger_gap()
    }
    /// The pen's trail (time, tip, world mm) and where each stroke begins.
    pub fn trail(&self) -> (&[(f64, nalgebra::Vector3<f64>)], &[usize]) {
        self.cell.trail()
    }
    /// The part types of the cell; [`PartView::kind`] indexes them.
    pub fn part_types(&self) -> &[super::scenario::PartSpec] {
        self.cell.part_types()
    }
    pub fn override_pct(&self) -> f64 {
        self.controller.override_pct()
    }
    pub fn mode(&self) -> OperatingMode {
        self.controller.mode()
    }
    pub fn step_mode(&self) -> StepMode {
        self.controller.step_mode()
    }
    pub fn variable(&self, name: &str) -> Option<&Value> {
        self.controller.variable(name)
    }
    /// The type of part `id` (an index into [`World::part_types`]).
    pub fn part_kind(&self, id: usize) -> Option<usize> {
        self.cell.kind_of_part(id)
    }
    /// Production orders so far, oldest first.
    pub fn orders(&self) -> &[OrderRecord] {
        self.orders.records()
    }
    /// Each conveyor (scenario order): (running, jammed).
    pub fn conveyor_states(&self) -> Vec<(bool, bool)> {
        self.cell.conveyor_states(&self.io)
    }
    /// The faults in force now, in words.
    pub fn faults_in_force(&self) -> Vec<String> {
        let mut out = self.cell.faults_in_force();
        if self.estop_release_at.is_some() {
            out.push("E-STOP pressed".into());
        }
        out
    }
    pub fn robot_shape(&self) -> &RobotShape {
        self.cell.robot_shape()
    }
    /// Parts in the cell and how many of them are awake (the physics pays for those).
    pub fn parts_awake(&self) -> (usize, usize) {
        self.cell.parts_awake()
    }
    /// A fingerprint of the whole state, equal for bit-identical runs.
    pub fn fingerprint(&self) -> u64 {
        let mut h = self.cell.fingerprint();
        for a in self.axes_deg() {
            h = (h ^ a.to_bits()).wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^ (self.delivered() as u64) << 32 ^ self.tick
    }

    // ---------- recording ----------

    /// Records every command from now on. Only a world that has not stepped yet can be
    /// recorded (a replay starts from the scenario's initial state); false otherwise.
    pub fn start_recording(&mut self) -> bool {
        if self.stepped || self.recorder.is_some() {
            return false;
        }
        self.recorder = Some(Recorder::new(&self.loaded));
        true
    }

    /// The recording so far, if this world is being recorded.
    pub fn recording(&self) -> Option<Recording> {
        self.recorder.as_ref().map(|r| r.finish(self))
    }

    // ---------- the tick ----------

    pub fn step(&mut self, commands: &[Command]) -> Vec<Event> {
        self.step_timed(commands, &mut NoClock)
    }

    /// As `step`, telling `clock` as each phase of the tick ends (`robocell bench --profile`).
    pub fn step_timed(&mut self, commands: &[Command], clock: &mut dyn PhaseClock) -> Vec<Event> {
        let ev = self.tick_once(commands, clock);
        self.stepped = true;
        if let Some(r) = &mut self.recorder {
            r.step(commands, &ev);
        }
        clock.lap(Phase::Messages);
        ev
    }

    fn tick_once(&mut self, commands: &[Command], clock: &mut dyn PhaseClock) -> Vec<Event> {
        let mut ev = Vec::new();
        for c in commands {
            match c {
                Command::Reset => self.reset(&mut ev),
                Command::SetDoor(open) => {
                    self.cell.set_door(*open);
                    self.controller.command(c, &mut ev);
                }
                Command::InjectFault { kind, for_s } => self.inject(kind, *for_s, &mut ev),
                Command::Start if self.diagnostics.iter().any(Diagnostic::is_error) => {
                    let n = self.diagnostics.iter().filter(|d| d.is_error()).count();
                    let text = format!("The program has {n} error(s): fix them in the editor before Start");
                    ev.push(Event::Message(Message { level: Level::Status, text, line: None, time_s: self.time_s() }));
                }
                Command::TouchUp { line, aux } => self.touch_up(*line, *aux, &mut ev),
                Command::NewMotion { after_line, form } => self.new_motion(*after_line, form, &mut ev),
                Command::Edit { file, text } => self.edit(file, text, false, &mut ev),
                Command::Reload { file, text } => self.edit(file, text, true, &mut ev),
                Command::Save { file } => self.save(file, &mut ev),
                Command::SelectProgram { name } => self.select_program(name, &mut ev),
                Command::SetInput { n, value } => self.set_input(*n, *value, &mut ev),
                Command::SetAnalogInput { n, value } => self.set_analog_input(*n, *value, &mut ev),
                Command::PlaceOrder { parts } => {
                    if let Err(e) = self.orders.receive(parts, self.time_s(), &mut ev) {
                        self.note(&mut ev, Level::Status, format!("Order refused: {e}"));
                    }
                }
                c => self.controller.command(c, &mut ev),
            }
        }
        // The scenario's faults whose time has come, and E-STOPs whose time is over.
        let now = self.time_s();
        let due: Vec<_> = self.loaded.scenario.faults.iter().filter(|f| self.due(f.at_s)).map(|f| (f.kind.clone(), f.for_s)).collect();
        for (kind, for_s) in due {
            self.inject(&kind, for_s, &mut ev);
        }
        if let Some(o) = &self.loaded.scenario.plant.orders {
            let due: Vec<_> = o.schedule.iter().filter(|s| self.due(s.at_s)).map(|s| s.parts.clone()).collect();
            for parts in due {
                // Checked when the scenario loaded.
                let _ = self.orders.receive(&parts, now, &mut ev);
            }
        }
        if self.estop_release_at.is_some_and(|t| t <= now + 1e-9) {
            self.estop_release_at = None;
            self.controller.emergency_stop(false, &mut ev);
        }
        self.cell.set_estop(self.controller.estop_pressed());
        if commands.contains(&Command::Reset) {
            // A reset tick ends in the initial state: nothing moves until the next one.
            self.log_messages(&ev);
            return ev;
        }
        clock.lap(Phase::Commands);
        let now = self.time_s();
        self.orders.update(&mut self.io, now, &mut ev);
        self.cell.read_sensors(&mut self.io, &mut ev);
        clock.lap(Phase::Sensors);
        self.controller.step(&mut self.io, now, &mut ev, clock);
        // The line the robot is on, before a collision can stop it.
        let line = self.controller.main_run_line().or(Some(self.controller.advance_line()));
        let tcp = self.tcp_world();
        self.cell.drive_actuators(&self.io, &tcp, &mut ev);
        clock.lap(Phase::Actuators);
        let q = self.axes_deg();
        let robroot = self.controller.robroot();
        self.cell.move_robot(self.controller.model(), &robroot, &q);
        clock.lap(Phase::RobotBodies);
        let report = self.cell.step(tcp);
        clock.lap(Phase::Physics);
        for id in report.spawned {
            let kind = self.cell.kind_of_part(id).unwrap_or(0);
            ev.push(Event::PartSpawned { id, kind });
        }
        for id in report.drained {
            ev.push(Event::PartDrained { id });
        }
        for (id, bin) in report.delivered {
            let kind = self.cell.kind_of_part(id).unwrap_or(0);
            if let Some(t) = self.cell.part_types().get(kind) {
                self.orders.delivered(&t.name, &bin);
            }
            let total = self.exercise.delivered() + 1;
            ev.push(Event::PartDelivered { id, bin, total });
        }
        for (link, with) in report.collisions {
            ev.push(Event::Collision { link: link.clone(), with: with.clone() });
            // The controller's collision detection stops the robot.
            if self.controller.state() != ProgramState::Faulted {
                self.controller.fault(&mut ev, format!("Collision: robot {link} touched {with}"), None);
            }
        }
        self.tick += 1;
        clock.lap(Phase::Events);
        let flange = (self.controller.robroot() * fk(self.controller.model(), &q)).translation.vector;
        self.exercise.observe(&Tick {
            time_s: self.time_s(),
            dt: self.dt,
            events: &ev,
            mode: self.controller.mode(),
            tcp: tcp.translation.vector,
            flange,
            line,
            pen_down: matches!(self.loaded.scenario.gripper, super::scenario::GripperSpec::Pen).then(|| self.cell.pen_down()),
        });
        clock.lap(Phase::Observation);
        self.log_messages(&ev);
        ev
    }

    fn log_messages(&mut self, ev: &[Event]) {
        self.messages.extend(ev.iter().filter_map(|e| if let Event::Message(m) = e { Some(m.clone()) } else { None }));
    }

    /// A fault, now, lasting `for_s` seconds (for ever when None).
    fn inject(&mut self, kind: &FaultKind, for_s: Option<f64>, ev: &mut Vec<Event>) {
        let until = for_s.map_or(f64::INFINITY, |d| self.time_s() + d);
        let what = match kind {
            FaultKind::EmergencyStop => {
                self.controller.emergency_stop(true, ev);
                self.estop_release_at = for_s.map(|_| until);
                Some("E-STOP pressed".to_string())
            }
            k => self.cell.inject(k, until),
        };
        if let Some(what) = what {
            ev.push(Event::Fault { what });
        }
    }

    /// Something scheduled at `at_s` (a fault, an order) happens in this tick.
    fn due(&self, at_s: f64) -> bool {
        let now = self.time_s();
        at_s >= now - 1e-9 && at_s < now + self.dt - 1e-9
    }

    /// `$IN[n]` from outside: only an input the scenario's plant names.
    fn set_input(&mut self, n: usize, value: bool, ev: &mut Vec<Event>) {
        if !self.loaded.scenario.plant.writable_input(n) {
            let text =
                format!("$IN[{n}] is not driven from outside: the scenario's plant inputs are {:?}", self.loaded.scenario.plant.inputs);
            return self.note(ev, Level::Status, text);
        }
        if self.io.inputs[n] != value {
            self.io.inputs[n] = value;
            ev.push(Event::Input { n, value });
        }
    }

    /// `$ANIN[n]` from outside, -1.0 ..= 1.0.
    fn set_analog_input(&mut self, n: usize, value: f64, ev: &mut Vec<Event>) {
        let plant = &self.loaded.scenario.plant;
        let text = if !plant.analog_inputs.contains(&n) {
            format!("$ANIN[{n}] is not driven from outside: the scenario's plant analog inputs are {:?}", plant.analog_inputs)
        } else if !(-1.0..=1.0).contains(&value) {
            format!("$ANIN[{n}] = {value} is outside -1.0 ..= 1.0")
        } else {
            self.io.analog_in[n] = value;
            return;
        };
        self.note(ev, Level::Status, text);
    }

    /// Back to the initial state, keeping the operator's override.
    fn reset(&mut self, ev: &mut Vec<Event>) {
        let Ok((mut fresh, _)) = World::new(self.loaded.clone()) else {
            let text = "The program has errors: fix them before a reset".to_string();
            ev.push(Event::Message(Message { level: Level::Status, text, line: None, time_s: self.time_s() }));
            return;
        };
        fresh.controller.set_override(self.controller.override_pct());
        fresh.controller.keep_pendant(&self.controller);
        fresh.saved = std::mem::take(&mut self.saved);
        // The E-STOP button and the gate stay as they are; so does what waits to be acknowledged.
        fresh.controller.keep_safety(&self.controller);
        fresh.cell.set_door(self.controller.door_open());
        fresh.recorder = self.recorder.take();
        // The plant's inputs are the PLC's: they keep their values.
        let plant = &self.loaded.scenario.plant;
        for n in plant.driven_inputs().into_iter().filter(|n| plant.writable_input(*n)) {
            fresh.io.inputs[n] = self.io.inputs[n];
        }
        for &n in &plant.analog_inputs {
            fresh.io.analog_in[n] = self.io.analog_in[n];
        }
        fresh.stepped = true;
        *self = fresh;
        ev.push(Event::Message(Message { level: Level::Notification, text: "Program reset".into(), line: None, time_s: 0.0 }));
        ev.push(Event::State(ProgramState::Ready));
    }

    /// Starts the program and runs it as the grader does: until it ends, faults or halts (and
    /// 2 s more, so a part just dropped lands and is counted), or until the time limit passes.
    /// What happens after the last part counts too.
    pub fn run_to_end(&mut self) -> RunRecord {
        self.run_to_end_timed(&mut NoClock)
    }

    /// As `run_to_end`, each tick told to `clock` (`robocell bench --profile`).
    pub fn run_to_end_timed(&mut self, clock: &mut dyn PhaseClock) -> RunRecord {
        // In T1 and T2 the student holds the enabling switch and Start.
        let mut cmds = vec![Command::EnablingSwitch(true), Command::Start];
        let limit = self.loaded.scenario.time_limit_s;
        let mut settle_until: Option<f64> = None;
        while self.time_s() < limit {
            self.step_timed(&cmds, clock);
            cmds.clear();
            if self.run_over() {
                let until = *settle_until.get_or_insert(self.time_s() + 2.0);
                if self.time_s() >= until {
                    break;
                }
            }
        }
        self.run_record("public", false)
    }

    /// This run judged against the objectives (as the public run, without variants).
    pub fn grade_this_run(&self) -> super::exercise::Grade {
        let objectives = &self.loaded.scenario.objectives;
        // The program's text does not change during a run: its objectives are judged once.
        let program = self.program_results.get_or_init(|| super::exercise::program_results(&self.loaded)).clone();
        super::exercise::grade(objectives, program, &[self.run_record("public", false)])
    }

    /// The run so far, for the objectives.
    pub fn run_record(&self, variant: &str, hidden: bool) -> RunRecord {
        let sc = &self.loaded.scenario;
        RunRecord {
            variant: variant.to_string(),
            hidden,
            scenario: sc.clone(),
            obs: self.exercise.observations().clone(),
            parts: self.parts(),
            end_s: self.time_s(),
            state: self.state(),
            axes: self.axes_deg(),
            home: sc.robot.home_deg.unwrap_or(self.model().home_deg),
            program_file: self.loaded.src_path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
            messages: self.messages.clone(),
            line_at_end: self.advance_line(),
            part_types: self.part_types().iter().map(|t| t.name.clone()).collect(),
            orders: self.orders.records().to_vec(),
        }
    }
}
