//! The robot cell: one `step(commands) -> events` advances everything by one fixed tick.
//! Order inside a tick: sensors -> inputs -> KRL advance run -> motion planning ->
//! main run (joint positions) -> outputs -> physics -> events.

use std::collections::VecDeque;

use nalgebra::Isometry3;

use super::kinematics::{self, fk, ik, ik_near, link_frames, status_of, turn_of};
use super::krl::ast::Approx;
use super::krl::ast::MotionKind;
use super::krl::interp::{ConfigGlobals, TriggerAt, TriggerCmd};
use super::krl::value::{StructVal, Value};
use super::krl::{Diagnostic, Env, Interpreter, MotionCmd, Yield, parse_module};
use super::math::Frame;
use super::motion::{CartPath, CpParams, OriType, PtpParams, Trajectory, plan_cartesian, plan_lin, plan_ptp_capped};
use super::physics::{PartView, PhysicsCell, RobotShape};
use super::robot::RobotModel;
use super::scenario::{Loaded, OperatingMode};

/// The TCP speed limit in T1, mm/s.
pub const T1_SPEED_MM_S: f64 = 250.0;

/// Operations the interpreter may run in one tick before it yields.
pub const OPS_PER_TICK: u32 = 20_000;

/// What the pendant, the CLI or a recording can ask of the cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Start or continue the program.
    Start,
    /// Stop the program and the robot where they are; Start continues.
    Stop,
    /// Back to the scenario's initial state.
    Reset,
    /// Program override `$OV_PRO`, percent.
    SetOverride(u8),
    /// Operating mode `$MODE_OP`; takes effect from the next motion planned.
    SetMode(OperatingMode),
    /// How far one Start runs the program.
    SetStepMode(StepMode),
}

/// Program run modes of the pendant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StepMode {
    /// Run continuously.
    #[default]
    Go,
    /// MSTEP: stop after each motion.
    Motion,
    /// ISTEP: stop after each statement (and its motion).
    Line,
}

/// Message types as the smartHMI shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Blue: information.
    Notification,
    /// Yellow: the program waits or continues with a restriction.
    Status,
    /// Red: the robot stopped.
    Acknowledgement,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramState {
    /// Selected, not started.
    Ready,
    Running,
    /// Stopped by the operator.
    Stopped,
    /// Stopped by HALT in the program.
    Halted,
    /// Reached the end of the main routine, robot at rest.
    Finished,
    /// Stopped by a runtime fault.
    Faulted,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub level: Level,
    pub text: String,
    /// The program line the message is about, if any.
    pub line: Option<u32>,
    pub time_s: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Message(Message),
    Output { n: usize, value: bool },
    Input { n: usize, value: bool },
    State(ProgramState),
    MotionStarted { line: u32 },
    MotionDone { line: u32 },
    PartSpawned { id: usize },
    PartDelivered { id: usize, bin: String, total: u32 },
    PartPicked { id: usize },
    PartReleased { id: usize },
    Collision { link: String, with: String },
    ObjectiveMet,
    ObjectiveFailed { reason: String },
}

struct Planned {
    traj: Trajectory,
    next: usize,
    line: u32,
    /// Approximation asked for at the end of this motion: the criterion and its distance.
    approx: Option<ApproxZone>,
    /// The next motion was blended into this one's end.
    blended: bool,
    /// The target (axes) the motion was planned to.
    end: [f64; 6],
    tool: Isometry3<f64>,
    /// TRIGGERs on this motion, by the sample at which they switch.
    triggers: Vec<(usize, TriggerCmd)>,
}

/// How close to its end a motion may start blending into the next one.
#[derive(Clone, Copy, Debug)]
struct ApproxZone {
    kind: Approx,
    /// C_PTP: axis degrees; C_DIS: mm; C_ORI: degrees; C_VEL: fraction of the top speed.
    size: f64,
}

/// The I/O image: `$IN[1..4096]`, `$OUT[1..4096]`.
#[derive(Clone, Debug)]
pub struct Io {
    pub inputs: Vec<bool>,
    pub outputs: Vec<bool>,
}

impl Default for Io {
    fn default() -> Self {
        Io { inputs: vec![false; 4097], outputs: vec![false; 4097] }
    }
}

struct CellEnv<'a> {
    io: &'a mut Io,
    events: &'a mut Vec<Event>,
    q: [f64; 6],
    pending: usize,
    time_s: f64,
    model: &'a RobotModel,
    robroot: Isometry3<f64>,
}

impl Env for CellEnv<'_> {
    fn input(&self, n: usize) -> bool {
        self.io.inputs[n]
    }
    fn output(&self, n: usize) -> bool {
        self.io.outputs[n]
    }
    fn set_output(&mut self, n: usize, v: bool) {
        if self.io.outputs[n] != v {
            self.io.outputs[n] = v;
            self.events.push(Event::Output { n, value: v });
        }
    }
    fn axis_act(&self) -> [f64; 6] {
        self.q
    }
    fn pos_act(&self, base: &Frame, tool: &Frame) -> (Frame, u8, u8) {
        let tcp = base.to_iso().inverse() * self.robroot * fk(self.model, &self.q) * tool.to_iso();
        (Frame::from_iso(&tcp), status_of(self.model, &self.q), turn_of(&self.q))
    }
    fn motions_pending(&self) -> usize {
        self.pending
    }
    fn time_s(&self) -> f64 {
        self.time_s
    }
}

/// The whole cell: controller, robot, I/O and physics.
pub struct Cell {
    loaded: Loaded,
    pub model: RobotModel,
    interp: Interpreter,
    q: [f64; 6],
    prev_tcp: Isometry3<f64>,
    queue: VecDeque<Planned>,
    /// Triggers whose point was passed and whose DELAY runs: (time to switch, trigger).
    delayed_triggers: Vec<(f64, TriggerCmd)>,
    planned_end: [f64; 6],
    bco_done: bool,
    program_done: bool,
    budget_warned: bool,
    pub io: Io,
    physics: PhysicsCell,
    robroot: Isometry3<f64>,
    tool: Isometry3<f64>,
    shape: RobotShape,
    tick: u64,
    dt: f64,
    state: ProgramState,
    delivered: u32,
    collisions: Vec<String>,
    outcome: Option<Result<(), String>>,
    messages: Vec<Message>,
    override_pct: f64,
    mode: OperatingMode,
    approx_lines_noted: Vec<u32>,
    step_mode: StepMode,
    /// ISTEP: the statement for this Start has not run yet.
    step_armed: bool,
}

impl Cell {
    /// Builds the cell. KRL syntax errors (and warnings) come back as diagnostics.
    pub fn new(loaded: Loaded) -> Result<(Cell, Vec<Diagnostic>), Vec<Diagnostic>> {
        let src_name = loaded.src_path.display().to_string();
        let dat = loaded.dat.as_ref().map(|(p, t)| (p.display().to_string(), t.clone()));
        let (module, diags) = parse_module(&src_name, &loaded.src, dat.as_ref().map(|(n, t)| (n.as_str(), t.as_str())));
        if diags.iter().any(Diagnostic::is_error) {
            return Err(diags);
        }
        let sc = &loaded.scenario;
        let model = loaded.model.clone();
        let home = sc.robot.home_deg.unwrap_or(model.home_deg);
        let q = sc.robot.start_deg.unwrap_or(model.home_deg);
        let cfg = ConfigGlobals { home_deg: home, tool: sc.tool.tcp, robroot: sc.robot.base, bases: sc.base_data.clone() };
        let interp = Interpreter::new(&module, &cfg)
            .map_err(|errs| errs.diagnostics((&src_name, &loaded.src), dat.as_ref().map(|(n, t)| (n.as_str(), t.as_str()))))?;
        let robroot = sc.robot.base.to_iso();
        let tool = sc.tool.tcp.to_iso();
        let g = &model.geometry;
        let shape = RobotShape {
            upper_arm_len: g.c2,
            forearm_offset: g.a2,
            forearm_len: g.c3,
            wrist_len: g.c4,
            tool_len: sc.tool.tcp.pos().norm(),
            tool_radius: sc.tool.radius_mm,
        };
        let links = Self::collision_poses(&model, &robroot, &q);
        let physics = PhysicsCell::new(sc, &links, &shape);
        let mut interp = interp;
        interp.set_global("$MODE_OP", Value::Enum(format!("{:?}", sc.mode)));
        let dt = sc.tick_ms as f64 / 1000.0;
        let mode = sc.mode;
        let prev_tcp = robroot * fk(&model, &q) * tool;
        let cell = Cell {
            loaded,
            model,
            interp,
            q,
            prev_tcp,
            queue: VecDeque::new(),
            delayed_triggers: Vec::new(),
            planned_end: q,
            bco_done: false,
            program_done: false,
            budget_warned: false,
            io: Io::default(),
            physics,
            robroot,
            tool,
            shape,
            tick: 0,
            dt,
            state: ProgramState::Ready,
            delivered: 0,
            collisions: Vec::new(),
            outcome: None,
            messages: Vec::new(),
            override_pct: 100.0,
            mode,
            approx_lines_noted: Vec::new(),
            step_mode: StepMode::Go,
            step_armed: false,
        };
        Ok((cell, diags))
    }

    fn collision_poses(model: &RobotModel, robroot: &Isometry3<f64>, q: &[f64; 6]) -> [Isometry3<f64>; 4] {
        let f = link_frames(model, q);
        [robroot * f[2], robroot * f[3], robroot * f[5], robroot * f[6]]
    }

    // ---------- read-only state ----------

    pub fn loaded(&self) -> &Loaded {
        &self.loaded
    }
    pub fn axes_deg(&self) -> [f64; 6] {
        self.q
    }
    /// Frames along the arm in the world (mm), see [`kinematics::link_frames`].
    pub fn link_frames_world(&self) -> [Isometry3<f64>; 7] {
        link_frames(&self.model, &self.q).map(|f| self.robroot * f)
    }
    /// The gripper's TCP in the world, mm.
    pub fn tcp_world(&self) -> Isometry3<f64> {
        self.robroot * fk(&self.model, &self.q) * self.tool
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
        self.state
    }
    /// The line the advance run (interpreter) is on.
    pub fn advance_line(&self) -> u32 {
        self.interp.current.line
    }
    /// The line of the motion the robot is executing, if moving.
    pub fn main_run_line(&self) -> Option<u32> {
        self.queue.front().map(|p| p.line)
    }
    pub fn delivered(&self) -> u32 {
        self.delivered
    }
    pub fn collisions(&self) -> &[String] {
        &self.collisions
    }
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }
    pub fn outcome(&self) -> Option<&Result<(), String>> {
        self.outcome.as_ref()
    }
    pub fn parts(&self) -> Vec<PartView> {
        self.physics.parts()
    }
    pub fn holding(&self) -> Option<usize> {
        self.physics.holding()
    }
    pub fn override_pct(&self) -> f64 {
        self.override_pct
    }
    pub fn mode(&self) -> OperatingMode {
        self.mode
    }
    pub fn step_mode(&self) -> StepMode {
        self.step_mode
    }
    pub fn variable(&self, name: &str) -> Option<&Value> {
        self.interp.variable(name)
    }
    pub fn robot_shape(&self) -> &RobotShape {
        &self.shape
    }
    /// A fingerprint of the whole state, equal for bit-identical runs.
    pub fn fingerprint(&self) -> u64 {
        let mut h = self.physics.fingerprint();
        for a in self.q {
            h = (h ^ a.to_bits()).wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^ (self.delivered as u64) << 32 ^ self.tick
    }

    // ---------- the tick ----------

    pub fn step(&mut self, commands: &[Command]) -> Vec<Event> {
        let mut ev = Vec::new();
        for c in commands {
            self.command(c, &mut ev);
        }
        if commands.contains(&Command::Reset) {
            // A reset tick ends in the initial state: nothing moves until the next one.
            return ev;
        }
        self.read_sensors(&mut ev);
        if self.state == ProgramState::Running {
            self.advance_run(&mut ev);
        }
        if self.state == ProgramState::Running {
            self.main_run(&mut ev);
        }
        if self.state == ProgramState::Running && self.step_mode == StepMode::Line && !self.step_armed && self.queue.is_empty() {
            // ISTEP: the statement and its motion are done.
            self.set_state(ProgramState::Stopped, &mut ev);
        }
        self.drive_actuators(&mut ev);
        let links = Self::collision_poses(&self.model, &self.robroot, &self.q);
        self.physics.set_robot(&links);
        let tcp = self.tcp_world();
        let report = self.physics.step(&tcp);
        self.prev_tcp = tcp;
        for id in report.spawned {
            ev.push(Event::PartSpawned { id });
        }
        for (id, bin) in report.delivered {
            self.delivered += 1;
            ev.push(Event::PartDelivered { id, bin, total: self.delivered });
        }
        for (link, with) in report.collisions {
            self.collisions.push(format!("{link} touched {with} at {:.2} s", self.time_s()));
            ev.push(Event::Collision { link: link.clone(), with: with.clone() });
            if self.loaded.scenario.objective.no_collision && !matches!(self.state, ProgramState::Faulted) {
                self.fault(&mut ev, format!("Collision: robot {link} touched {with}"), None);
            }
        }
        self.tick += 1;
        self.judge(&mut ev);
        for e in &ev {
            if let Event::Message(m) = e {
                self.messages.push(m.clone());
            }
        }
        ev
    }

    fn set_state(&mut self, s: ProgramState, ev: &mut Vec<Event>) {
        if self.state != s {
            self.state = s;
            ev.push(Event::State(s));
        }
    }

    fn msg(&self, ev: &mut Vec<Event>, level: Level, text: String, line: Option<u32>) {
        let module = self.loaded.src_path.file_name().and_then(|f| f.to_str()).unwrap_or("program");
        let text = match line {
            Some(l) => format!("{module} line {l}: {text}"),
            None => text,
        };
        ev.push(Event::Message(Message { level, text, line, time_s: self.time_s() }));
    }

    fn fault(&mut self, ev: &mut Vec<Event>, text: String, line: Option<u32>) {
        self.queue.clear();
        self.planned_end = self.q;
        self.msg(ev, Level::Acknowledgement, text, line);
        self.set_state(ProgramState::Faulted, ev);
    }

    fn command(&mut self, c: &Command, ev: &mut Vec<Event>) {
        match c {
            Command::Start => match self.state {
                ProgramState::Ready | ProgramState::Stopped | ProgramState::Halted => {
                    if self.state == ProgramState::Ready {
                        self.msg(ev, Level::Notification, "Program started".into(), None);
                    }
                    self.step_armed = true;
                    self.set_state(ProgramState::Running, ev);
                }
                ProgramState::Running => {}
                ProgramState::Finished | ProgramState::Faulted => {
                    self.msg(ev, Level::Status, "Reset the program before starting it again".into(), None);
                }
            },
            Command::Stop => {
                if self.state == ProgramState::Running {
                    self.msg(ev, Level::Status, "Stopped by the operator".into(), None);
                    self.set_state(ProgramState::Stopped, ev);
                }
            }
            Command::Reset => {
                if let Ok((fresh, _)) = Cell::new(self.loaded.clone()) {
                    let ov = self.override_pct;
                    *self = fresh;
                    self.override_pct = ov;
                    self.interp.set_global("$OV_PRO", Value::Int(ov as i32));
                    self.msg(ev, Level::Notification, "Program reset".into(), None);
                    ev.push(Event::State(ProgramState::Ready));
                }
            }
            Command::SetOverride(p) => {
                self.override_pct = (*p).min(100) as f64;
                self.interp.set_global("$OV_PRO", Value::Int(self.override_pct as i32));
            }
            Command::SetStepMode(m) => self.step_mode = *m,
            Command::SetMode(m) => {
                self.mode = *m;
                self.interp.set_global("$MODE_OP", Value::Enum(format!("{m:?}")));
                self.msg(ev, Level::Notification, format!("Operating mode {m:?}"), None);
            }
        }
    }

    fn read_sensors(&mut self, ev: &mut Vec<Event>) {
        let sc = &self.loaded.scenario;
        let mut changes = Vec::new();
        for b in &sc.light_barriers {
            let Some(ci) = sc.conveyors.iter().position(|c| c.name == b.conveyor) else { continue };
            changes.push((b.input, self.physics.beam_blocked(ci, b.at_mm, b.height_mm)));
        }
        if let Some(n) = sc.gripper.held_input {
            changes.push((n, self.physics.holding().is_some()));
        }
        for (n, v) in changes {
            if self.io.inputs[n] != v {
                self.io.inputs[n] = v;
                ev.push(Event::Input { n, value: v });
            }
        }
    }

    fn advance_run(&mut self, ev: &mut Vec<Event>) {
        // $OV_PRO written by the program takes effect like the pendant's override.
        if let Some(Value::Int(ov)) = self.interp.variable("$OV_PRO") {
            self.override_pct = (*ov).clamp(0, 100) as f64;
        }
        if self.step_mode == StepMode::Line && !self.step_armed {
            return;
        }
        let line_step = self.step_mode == StepMode::Line;
        let mut budget = if line_step { 1 } else { OPS_PER_TICK };
        loop {
            let before = self.interp.ops_executed;
            let y = {
                let mut env = CellEnv {
                    io: &mut self.io,
                    events: ev,
                    q: self.q,
                    pending: self.queue.len(),
                    time_s: self.tick as f64 * self.dt,
                    model: &self.model,
                    robroot: self.robroot,
                };
                self.interp.resume(&mut env, budget)
            };
            let ran = self.interp.ops_executed - before;
            budget = budget.saturating_sub(ran as u32);
            if line_step && ran > 0 {
                self.step_armed = false;
            }
            match y {
                Yield::Motion(cmd) => {
                    let line = cmd.span.line;
                    match self.plan(&cmd) {
                        Ok(traj) => {
                            let end = traj.samples.last().copied().unwrap_or(self.planned_end);
                            let triggers =
                                cmd.triggers.iter().map(|t| (self.trigger_sample(&traj, &cmd.tool.to_iso(), t), t.clone())).collect();
                            let mut p = Planned {
                                traj,
                                next: 0,
                                line,
                                approx: approx_zone(&cmd),
                                blended: false,
                                end,
                                tool: cmd.tool.to_iso(),
                                triggers,
                            };
                            self.blend_into_previous(&mut p);
                            self.planned_end = end;
                            self.queue.push_back(p);
                        }
                        Err(text) => {
                            self.fault(ev, text, Some(line));
                            return;
                        }
                    }
                }
                Yield::Brake { fast } => {
                    self.brake(fast);
                    return;
                }
                Yield::Resume => {
                    // The aborted routines' motions are dropped; a robot still moving brakes.
                    self.brake(false);
                }
                Yield::Blocked => return,
                Yield::Budget if line_step => return,
                Yield::Budget => {
                    if !self.budget_warned {
                        self.budget_warned = true;
                        let line = self.interp.current.line;
                        self.msg(
                            ev,
                            Level::Status,
                            format!("{OPS_PER_TICK} statements in one tick without a motion or WAIT: the loop runs on, one slice per tick"),
                            Some(line),
                        );
                    }
                    return;
                }
                Yield::Halt => {
                    let line = self.interp.current.line;
                    self.msg(ev, Level::Status, "HALT: program stopped, press Start to continue".into(), Some(line));
                    self.set_state(ProgramState::Halted, ev);
                    return;
                }
                Yield::Finished => {
                    self.program_done = true;
                    return;
                }
                Yield::Fault(e) => {
                    self.fault(ev, e.message, Some(e.span.line));
                    return;
                }
            }
        }
    }

    fn main_run(&mut self, ev: &mut Vec<Event>) {
        self.fire_due_triggers(ev);
        if self.state != ProgramState::Running {
            return;
        }
        let Some(front) = self.queue.front_mut() else {
            if self.program_done && self.delayed_triggers.is_empty() {
                self.msg(ev, Level::Notification, "Program end reached".into(), None);
                self.set_state(ProgramState::Finished, ev);
            }
            return;
        };
        if front.next == 0 {
            ev.push(Event::MotionStarted { line: front.line });
        }
        if let Some(q) = front.traj.samples.get(front.next) {
            self.q = *q;
            front.next += 1;
        }
        // Triggers whose sample is reached switch now, or after their DELAY.
        let reached = front.next;
        let last = front.next >= front.traj.samples.len();
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut front.triggers).into_iter().partition(|(k, _)| *k < reached || last);
        front.triggers = later;
        let now = self.tick as f64 * self.dt;
        for (_, t) in due {
            self.delayed_triggers.push((now + t.delay_s.max(0.0), t));
        }
        self.fire_due_triggers(ev);
        if self.state != ProgramState::Running {
            return;
        }
        let Some(front) = self.queue.front_mut() else { return };
        if front.next >= front.traj.samples.len() {
            let done = self.queue.pop_front().expect("front exists");
            if let Some(m) = done.traj.stop_message {
                self.fault(ev, m, Some(done.line));
                return;
            }
            if done.approx.is_some() && !done.blended && !self.approx_lines_noted.contains(&done.line) {
                // No look-ahead: the next motion was not known in time (advance-run stop, $ADVANCE = 0, program end).
                self.approx_lines_noted.push(done.line);
                self.msg(ev, Level::Notification, "Approximation not possible: exact stop".into(), Some(done.line));
            }
            ev.push(Event::MotionDone { line: done.line });
            if self.step_mode == StepMode::Motion {
                // MSTEP: the robot stands at the point until the next Start.
                self.set_state(ProgramState::Stopped, ev);
            }
        }
    }

    /// Stops the robot on its path with a linear speed ramp (0.4 s, or 0.2 s for BRAKE F) and
    /// drops every motion planned after the one it is on.
    fn brake(&mut self, fast: bool) {
        self.queue.truncate(1);
        let Some(front) = self.queue.front_mut() else {
            self.planned_end = self.q;
            return;
        };
        let ramp_ticks = ((if fast { 0.2 } else { 0.4 }) / self.dt).round().max(1.0);
        let path = &front.traj.samples;
        let at = front.next.saturating_sub(1).min(path.len() - 1);
        // Walk the rest of the path with a speed that falls from full to zero.
        let mut s = at as f64;
        let mut out: Vec<[f64; 6]> = path[..=at].to_vec();
        let last = (path.len() - 1) as f64;
        for k in 1..=ramp_ticks as usize {
            s = (s + 1.0 - k as f64 / ramp_ticks).min(last);
            let (i, f) = (s.floor() as usize, s.fract());
            let (a, b) = (path[i], path[(i + 1).min(path.len() - 1)]);
            out.push(std::array::from_fn(|j| a[j] + (b[j] - a[j]) * f));
            if s >= last {
                break;
            }
        }
        front.traj.samples = out;
        front.traj.stop_message = None;
        front.approx = None;
        front.blended = false;
        front.triggers.clear();
        self.planned_end = *front.traj.samples.last().expect("not empty");
    }

    /// Switches the triggers whose time has come, in the order they were passed.
    fn fire_due_triggers(&mut self, ev: &mut Vec<Event>) {
        let now = self.tick as f64 * self.dt;
        while let Some(i) = self.delayed_triggers.iter().position(|(at, _)| *at <= now + 1e-9) {
            let (_, t) = self.delayed_triggers.remove(i);
            let r = {
                let mut env = CellEnv {
                    io: &mut self.io,
                    events: ev,
                    q: self.q,
                    pending: self.queue.len(),
                    time_s: now,
                    model: &self.model,
                    robroot: self.robroot,
                };
                self.interp.fire_trigger(&t, &mut env)
            };
            if let Err(e) = r {
                self.fault(ev, e.message, Some(e.span.line));
                return;
            }
        }
    }

    /// The sample of `traj` at which trigger `t` switches: its point on the path, moved earlier
    /// by a negative DELAY (a positive one counts from there in time).
    fn trigger_sample(&self, traj: &Trajectory, tool: &Isometry3<f64>, t: &TriggerCmd) -> usize {
        let n = traj.samples.len();
        if n == 0 {
            return 0;
        }
        let along = |target_mm: f64| -> usize {
            // Cumulative TCP path length up to each sample.
            let mut s = 0.0;
            let mut prev = (fk(&self.model, &traj.samples[0]) * tool).translation.vector;
            let mut cum = vec![0.0];
            for q in &traj.samples[1..] {
                let p = (fk(&self.model, q) * tool).translation.vector;
                s += (p - prev).norm();
                cum.push(s);
                prev = p;
            }
            let goal = if target_mm < 0.0 { s + target_mm } else { target_mm };
            cum.iter().position(|c| *c >= goal.clamp(0.0, s) - 1e-9).unwrap_or(n - 1)
        };
        let k = match t.at {
            TriggerAt::Start => 0,
            TriggerAt::End => n - 1,
            TriggerAt::PathFromStart(mm) => along(mm.max(0.0)),
            // A positive PATH lies beyond the end point; it switches at the end.
            TriggerAt::PathFromEnd(mm) if mm >= 0.0 => n - 1,
            TriggerAt::PathFromEnd(mm) => along(mm),
        };
        let early = if t.delay_s < 0.0 { (-t.delay_s / self.dt).round() as usize } else { 0 };
        k.saturating_sub(early)
    }

    fn drive_actuators(&mut self, ev: &mut Vec<Event>) {
        let sc = &self.loaded.scenario;
        for (i, c) in sc.conveyors.iter().enumerate() {
            self.physics.set_belt(i, self.io.outputs[c.motor_output]);
        }
        let vacuum = self.io.outputs[sc.gripper.output];
        let tcp = self.tcp_world();
        if vacuum && self.physics.holding().is_none() {
            if let Some(id) = self.physics.grip(&tcp, sc.gripper.reach_mm) {
                ev.push(Event::PartPicked { id });
            }
        } else if !vacuum && self.physics.holding().is_some() {
            let v = (tcp.translation.vector - self.prev_tcp.translation.vector) / self.dt;
            if let Some(id) = self.physics.release(v) {
                ev.push(Event::PartReleased { id });
            }
        }
    }

    fn judge(&mut self, ev: &mut Vec<Event>) {
        if self.outcome.is_some() {
            return;
        }
        let obj = &self.loaded.scenario.objective;
        if obj.no_collision && !self.collisions.is_empty() {
            let reason = format!("collision: {}", self.collisions[0]);
            self.outcome = Some(Err(reason.clone()));
            ev.push(Event::ObjectiveFailed { reason });
        } else if self.delivered >= obj.deliver {
            self.outcome = Some(Ok(()));
            ev.push(Event::ObjectiveMet);
            let text = format!("Objective met: {} part(s) delivered in {:.1} s", self.delivered, self.time_s());
            self.msg(ev, Level::Notification, text, None);
        } else if self.time_s() > obj.within_s {
            let reason = format!("time is up: {} of {} part(s) delivered in {:.0} s", self.delivered, obj.deliver, obj.within_s);
            self.outcome = Some(Err(reason.clone()));
            ev.push(Event::ObjectiveFailed { reason });
        }
    }

    // ---------- motion planning ----------

    fn plan(&mut self, cmd: &MotionCmd) -> Result<Trajectory, String> {
        let Value::Struct(t) = &cmd.target else {
            return Err(format!("motion target must be a position, not {}", cmd.target.type_name()));
        };
        let relative = cmd.kind.is_relative();
        let start = self.planned_end;
        if !self.bco_done {
            let complete =
                if t.has_axes() { ["A1", "A2", "A3", "A4", "A5", "A6"].iter().all(|n| t.num(n).is_some()) } else { t.to_frame().is_some() };
            if relative || !complete {
                return Err("BCO: the first motion must go to a fully specified point (e.g. PTP XHOME)".into());
            }
            self.bco_done = true;
        }
        let acc_scale = 1.0;
        let ptp = PtpParams {
            vel_axis_pct: cmd.vel_axis_pct,
            acc_axis_pct: cmd.acc_axis_pct.map(|a| a * acc_scale),
            override_pct: self.override_pct,
        };
        let cap = (self.mode == OperatingMode::T1).then_some(T1_SPEED_MM_S);
        let lin = CpParams {
            vel_m_s: cmd.vel_cp_m_s,
            acc_m_s2: cmd.acc_cp_m_s2,
            vel_ori_deg_s: cmd.vel_ori_deg_s,
            vel_ori2_deg_s: cmd.vel_ori2_deg_s,
            override_pct: self.override_pct,
            ori: match cmd.ori_type.as_str() {
                "CONSTANT" => OriType::Constant,
                "JOINT" => OriType::Joint,
                _ => OriType::Var,
            },
            tcp_cap_mm_s: cap,
            acc_scale,
        };
        let base = cmd.base.to_iso();
        let tool = cmd.tool.to_iso();
        let ptp_cap = cap.map(|c| (&tool, c));
        // Axis targets.
        if t.has_axes() {
            let end: [f64; 6] = std::array::from_fn(|i| {
                let v = t.num(&format!("A{}", i + 1));
                if relative { start[i] + v.unwrap_or(0.0) } else { v.unwrap_or(start[i]) }
            });
            if let Some((axis, sign)) = self.model.limit_violation(&end) {
                return Err(format!(
                    "Software limit switch {sign}A{}: target {:.1} deg is beyond {:.0} deg",
                    axis + 1,
                    end[axis],
                    if sign == '+' { self.model.max_deg[axis] } else { self.model.min_deg[axis] }
                ));
            }
            return Ok(match cmd.kind {
                MotionKind::Ptp | MotionKind::PtpRel => plan_ptp_capped(&self.model, &start, &end, &ptp, ptp_cap, self.dt),
                MotionKind::Circ | MotionKind::CircRel => return Err("CIRC needs Cartesian points (X, Y, Z, A, B, C)".into()),
                _ => {
                    let end_tcp = fk(&self.model, &end) * tool;
                    plan_lin(&self.model, &start, &tool, &end_tcp, &lin, self.dt)
                }
            });
        }
        if !t.has_cartesian() {
            return Err("motion target has neither axis values (A1..A6) nor X, Y, Z, A, B, C".into());
        }
        // Cartesian targets, in the robot base: ROBROOT^-1 * BASE * P.
        let base_in_rb = self.robroot.inverse() * base;
        let cur_tcp_base = base_in_rb.inverse() * fk(&self.model, &start) * tool;
        let cur = Frame::from_iso(&cur_tcp_base);
        let resolve = |t: &StructVal| point_in_base(t, &cur, &cur_tcp_base, relative, cmd.tool_relative);
        let target_base = resolve(t);
        let tcp_rb = base_in_rb * target_base;
        let flange = tcp_rb * tool.inverse();
        match cmd.kind {
            MotionKind::Ptp | MotionKind::PtpRel => {
                let end = self.choose_ptp_solution(&flange, t, &start)?;
                Ok(plan_ptp_capped(&self.model, &start, &end, &ptp, ptp_cap, self.dt))
            }
            MotionKind::Circ | MotionKind::CircRel => {
                let Some(Value::Struct(aux)) = &cmd.aux else {
                    return Err("CIRC needs an auxiliary point".into());
                };
                let aux_rb = base_in_rb * resolve(aux);
                if ik_near(&self.model, &flange, &start).is_none() {
                    return Err(format!("Target not reachable: {}", describe_target(&target_base)));
                }
                let p0 = (fk(&self.model, &start) * tool).translation.vector;
                let path = CartPath::arc(p0, aux_rb.translation.vector, tcp_rb.translation.vector, cmd.ca_deg)
                    .ok_or("CIRC: start, auxiliary point and target lie on one line; no circle goes through them")?;
                // With CA the orientation at the end is the target's, reached at the end of the arc.
                Ok(plan_cartesian(&self.model, &start, &tool, &path, &tcp_rb.rotation, &lin, self.dt))
            }
            _ => {
                if ik_near(&self.model, &flange, &start).is_none() {
                    return Err(format!("Target not reachable: {}", describe_target(&target_base)));
                }
                Ok(plan_lin(&self.model, &start, &tool, &tcp_rb, &lin, self.dt))
            }
        }
    }

    /// Blends the start of `next` into the end of the last queued motion when that one asked for
    /// approximation and the robot has not yet reached its blend zone. The two motions overlap:
    /// their axis displacements add up, so position and velocity stay continuous.
    fn blend_into_previous(&mut self, next: &mut Planned) {
        let Some(prev) = self.queue.back_mut() else { return };
        let Some(zone) = prev.approx else { return };
        if prev.blended || prev.traj.stop_message.is_some() || next.traj.samples.len() < 2 {
            return;
        }
        let model = &self.model;
        let b = prev.end;
        let n_prev = prev.traj.samples.len();
        let tool = prev.tool;
        let b_tcp = fk(model, &b) * tool;
        let start_tcp_prev = fk(model, prev.traj.samples.first().expect("non-empty")) * tool;
        let end_tcp_next = fk(model, next.traj.samples.last().expect("non-empty")) * tool;
        let k = match zone.kind {
            Approx::CPtp => {
                let half_prev = kinematics::max_delta(&prev.traj.samples[0], &b) / 2.0;
                let half_next = kinematics::max_delta(&next.end, &b) / 2.0;
                let r = zone.size.min(half_prev).min(half_next);
                prev.traj.samples.iter().position(|q| kinematics::max_delta(q, &b) <= r)
            }
            Approx::CDis => {
                let half_prev = (b_tcp.translation.vector - start_tcp_prev.translation.vector).norm() / 2.0;
                let half_next = (end_tcp_next.translation.vector - b_tcp.translation.vector).norm() / 2.0;
                let r = zone.size.min(half_prev).min(half_next);
                prev.traj.samples.iter().position(|q| ((fk(model, q) * tool).translation.vector - b_tcp.translation.vector).norm() <= r)
            }
            Approx::COri => {
                let half_prev = b_tcp.rotation.angle_to(&start_tcp_prev.rotation).to_degrees() / 2.0;
                let half_next = end_tcp_next.rotation.angle_to(&b_tcp.rotation).to_degrees() / 2.0;
                let r = zone.size.min(half_prev).min(half_next);
                prev.traj.samples.iter().position(|q| (fk(model, q) * tool).rotation.angle_to(&b_tcp.rotation).to_degrees() <= r)
            }
            Approx::CVel => {
                // In the braking phase, once the leading axis is below the given share of its top speed.
                let speed = |j: usize| kinematics::max_delta(&prev.traj.samples[j], &prev.traj.samples[j - 1]);
                let top = (1..n_prev).map(speed).fold(0.0, f64::max);
                (n_prev / 2..n_prev).find(|&j| j > 0 && speed(j) <= top * zone.size)
            }
        };
        let Some(k) = k else { return };
        let mut m = (n_prev - k).min(next.traj.samples.len() / 2);
        // The overlap must keep every axis within its limits; shorten it until it does.
        while m > 0 {
            let k = n_prev - m;
            if prev.next + 2 > k {
                return;
            }
            let mut window: Vec<[f64; 6]> = prev.traj.samples[k - 2..k].to_vec();
            for j in 0..m {
                let (a, add) = (prev.traj.samples[k + j], next.traj.samples[j]);
                window.push(std::array::from_fn(|i| a[i] + add[i] - b[i]));
            }
            window.extend(next.traj.samples.iter().skip(m).take(2));
            let first = window[0];
            let ok = crate::sim::motion::worst_limit_ratio(model, &first, &window[1..], self.dt, 1.0, false) <= 1.0 + 1e-9;
            if ok {
                prev.traj.samples.truncate(k);
                prev.traj.samples.extend_from_slice(&window[2..2 + m]);
                next.traj.samples.drain(..m);
                prev.blended = true;
                // DISTANCE=1 on an approximated point switches in the middle of the blend;
                // DISTANCE=0 of the next motion at the blend's end.
                for (i, t) in prev.triggers.iter_mut() {
                    *i = if t.at == TriggerAt::End { k + m / 2 } else { (*i).min(k + m - 1) };
                }
                for (i, _) in next.triggers.iter_mut() {
                    *i = i.saturating_sub(m);
                }
                return;
            }
            m /= 2;
        }
    }

    /// PTP to a Cartesian point: by S and T when given, else with the start's status, each axis the shortest way.
    fn choose_ptp_solution(&self, flange: &Isometry3<f64>, t: &StructVal, start: &[f64; 6]) -> Result<[f64; 6], String> {
        let sols = ik(&self.model, flange);
        let s_req = t.get("S").and_then(Value::as_f64).map(|v| v as u8);
        let t_req = t.get("T").and_then(Value::as_f64).map(|v| v as u8);
        let target = describe_target(&(self.robroot * flange));
        if sols.is_empty() {
            return Err(match ik_near(&self.model, flange, start).and_then(|q| self.model.limit_violation(&q)) {
                Some((axis, sign)) => format!("Software limit switch {sign}A{}: {target} needs A{} outside its range", axis + 1, axis + 1),
                None => format!("Target not reachable: {target} is outside the robot's reach"),
            });
        }
        let pick = match (s_req, t_req) {
            // An axis within 0.01 degree of zero may carry either sign after rounding: its T bit does not decide.
            (Some(s), Some(tt)) => sols
                .iter()
                .filter(|x| x.status == s && (0..6).all(|i| (x.turn ^ tt) & (1 << i) == 0 || x.axes_deg[i].abs() < 0.01))
                .min_by(|a, b| kinematics::max_delta(&a.axes_deg, start).total_cmp(&kinematics::max_delta(&b.axes_deg, start)))
                .map(|x| x.axes_deg),
            (Some(s), None) => kinematics::nearest(&sols, start, Some(s)).map(|x| x.axes_deg),
            _ => kinematics::nearest(&sols, start, Some(status_of(&self.model, start))).map(|x| x.axes_deg),
        };
        pick.ok_or_else(|| match (s_req, t_req) {
            (Some(s), Some(tt)) => format!("Target not reachable with S {s} T {tt} within the software limits: {target}"),
            (Some(s), None) => format!("Target not reachable with S {s}: {target}"),
            _ => format!("Target not reachable with the current status S {}: {target} (give S and T)", status_of(&self.model, start)),
        })
    }
}

/// The zone a motion's approximation suffix asks for, from `$APO`.
fn approx_zone(cmd: &MotionCmd) -> Option<ApproxZone> {
    let [cptp, cdis, cori, cvel] = cmd.apo;
    // A PTP blends by C_PTP unless only a Cartesian criterion is given (KSS 8 writes PTP P C_DIS).
    let kind = if cmd.kind.is_ptp() && cmd.approx.contains(&Approx::CPtp) { Approx::CPtp } else { *cmd.approx.first()? };
    let size = match kind {
        Approx::CPtp => cptp.clamp(1.0, 100.0) / 100.0 * 90.0,
        Approx::CDis => cdis.max(0.0),
        Approx::COri => cori.max(0.0),
        Approx::CVel => cvel.clamp(1.0, 100.0) / 100.0,
    };
    Some(ApproxZone { kind, size })
}

/// A target or auxiliary point in `$BASE`: absolute with missing members from the start point,
/// or relative to the start (in BASE or TOOL directions).
fn point_in_base(t: &StructVal, cur: &Frame, cur_tcp: &Isometry3<f64>, relative: bool, tool_relative: bool) -> Isometry3<f64> {
    if relative {
        let n = |m: &str| t.num(m).unwrap_or(0.0);
        let d = Frame::new(n("X"), n("Y"), n("Z"), n("A"), n("B"), n("C")).to_iso();
        if tool_relative {
            cur_tcp * d
        } else {
            let mut p = d.rotation * cur_tcp;
            p.translation.vector = cur_tcp.translation.vector + d.translation.vector;
            p
        }
    } else {
        let n = |m: &str, d: f64| t.num(m).unwrap_or(d);
        Frame::new(n("X", cur.x), n("Y", cur.y), n("Z", cur.z), n("A", cur.a), n("B", cur.b), n("C", cur.c)).to_iso()
    }
}

fn describe_target(iso: &Isometry3<f64>) -> String {
    let f = Frame::from_iso(iso);
    format!("{{X {:.1}, Y {:.1}, Z {:.1}, A {:.1}, B {:.1}, C {:.1}}}", f.x, f.y, f.z, f.a, f.b, f.c)
}

/// The outcome of a headless run, as `robocell check` prints it.
#[derive(Clone, Debug)]
pub struct Report {
    pub scenario: String,
    pub passed: bool,
    pub reason: String,
    pub delivered: u32,
    pub required: u32,
    pub sim_time_s: f64,
    pub collisions: Vec<String>,
    pub messages: Vec<Message>,
    pub final_state: ProgramState,
    pub ticks: u64,
}

impl Cell {
    /// Starts the program and runs until the objective is decided, the program ends or faults,
    /// or the objective's time is up.
    pub fn run_to_end(&mut self) -> Report {
        let obj = self.loaded.scenario.objective.clone();
        let mut cmds = vec![Command::Start];
        let mut settle_until: Option<f64> = None;
        loop {
            self.step(&cmds);
            cmds.clear();
            if self.outcome.is_some() {
                break;
            }
            if matches!(self.state, ProgramState::Finished | ProgramState::Faulted | ProgramState::Halted) {
                // Let a part that was just dropped land and be counted.
                let until = *settle_until.get_or_insert(self.time_s() + 2.0);
                if self.time_s() >= until {
                    break;
                }
            }
        }
        let (passed, reason) = match &self.outcome {
            Some(Ok(())) => (true, format!("{} of {} part(s) delivered", self.delivered, obj.deliver)),
            Some(Err(r)) => (false, r.clone()),
            None => (false, format!("program stopped ({:?}) with {} of {} part(s) delivered", self.state, self.delivered, obj.deliver)),
        };
        Report {
            scenario: self.loaded.scenario.name.clone(),
            passed,
            reason,
            delivered: self.delivered,
            required: obj.deliver,
            sim_time_s: self.time_s(),
            collisions: self.collisions.clone(),
            messages: self.messages.clone(),
            final_state: self.state,
            ticks: self.tick,
        }
    }
}
