//! The KR C controller. It runs the KRL program ahead of the robot (advance run), plans its
//! motions (planner, approximation), moves the robot along them tick by tick (interpolator: the
//! main run with override, stops, BRAKE and triggers), and keeps the operator's state (mode,
//! override, run mode, program state). It sees the cell only through the I/O image and gives
//! back axis positions and events.

mod advance_run;
pub mod approximation;
pub mod interpolator;
pub mod jog;
pub mod operator;
mod pendant;
pub mod planner;

use nalgebra::Isometry3;

use self::advance_run::ControllerEnv;
use self::interpolator::{Interpolator, PathEvent};
use self::operator::Operator;
pub use self::operator::{Level, Message, ProgramState, StepMode};
use self::planner::Planner;
pub use self::planner::T1_SPEED_MM_S;
use super::io::Io;
use super::krl::interp::ConfigGlobals;
use super::krl::value::Value;
use super::krl::{Diagnostic, Interpreter};
use super::scenario::{Loaded, OperatingMode};
use super::world::{Command, Event};

/// Operations the interpreter may run in one tick before it yields.
pub const OPS_PER_TICK: u32 = 20_000;

/// Ramp of a BRAKE in an interrupt routine, seconds (BRAKE F: half of it).
pub const BRAKE_RAMP_S: f64 = 0.4;

#[derive(Clone)]
pub struct Controller {
    interp: Interpreter,
    planner: Planner,
    ipo: Interpolator,
    op: Operator,
    /// The module's file name, for messages.
    module: String,
    program_done: bool,
    budget_warned: bool,
    approx_lines_noted: Vec<u32>,
    /// The simulated time of the tick being run, seconds.
    time_s: f64,
    /// The pendant's jog settings, and its selected tool and base (jog, touch-up, new motions).
    pub jog_settings: jog::JogSettings,
    pub tool_no: usize,
    pub base_no: usize,
    jog: Option<jog::Jog>,
    /// Where the robot left its path when jogged away from a stopped program.
    path_q: Option<[f64; 6]>,
    back_to_path: Option<pendant::BackToPath>,
    /// The advance run stands before this breakpoint line.
    at_breakpoint: Option<u32>,
    /// A block selection was made: the next motion planned is a BCO run.
    bco_pending: bool,
    /// The BCO run's line, until the robot reaches its point.
    bco_line: Option<u32>,
}

impl Controller {
    /// Loads the scenario's program. KRL errors (and warnings) come back as diagnostics.
    pub fn new(loaded: &Loaded) -> Result<(Controller, Vec<Diagnostic>), Vec<Diagnostic>> {
        let src_name = loaded.src_path.display().to_string();
        let dat = loaded.dat.as_ref().map(|(p, t)| (p.display().to_string(), t.clone()));
        let dat_ref = dat.as_ref().map(|(n, t)| (n.as_str(), t.as_str()));
        let sc = &loaded.scenario;
        let model = loaded.model.clone();
        let q = sc.robot.start_deg.unwrap_or(model.home_deg);
        let Program { module, mut diags, others, warnings, cfg } = parse_program(loaded);
        // Without a $config.dat, what only it could declare is refused once, all together (in
        // place of each name's warning).
        if !module.unknown_names.is_empty() || !module.unknown_types.is_empty() {
            diags.retain(|d| d.is_error() || (d.code != "KRL080" && d.code != "KRL019"));
            diags.push(super::krl::assume::refusal(&src_name, &loaded.src, &module.unknown_names, &module.unknown_types));
        }
        if diags.iter().any(Diagnostic::is_error) {
            return Err(diags);
        }
        diags.extend(warnings);
        // An analog input nothing in this cell drives reads 0.0: say so before the run.
        let driven: Vec<usize> = sc
            .sensors
            .iter()
            .filter_map(|s| match s.kind {
                crate::sim::scenario::SensorKind::Distance { analog } => Some(analog),
                _ => None,
            })
            .collect();
        let mut noted = Vec::new();
        let signals = module.signals.iter().filter(|g| g.analog && !g.output).map(|g| (g.from as usize, g.span));
        for (k, span) in super::krl::project::analog_inputs_read(&module).into_iter().chain(signals) {
            if !driven.contains(&k) && !noted.contains(&k) {
                noted.push(k);
                let mut sink = super::krl::diag::DiagSink::new(&src_name, &loaded.src);
                let msg = format!("$ANIN[{k}] is read, but nothing in this cell drives it: it reads 0.0");
                sink.push(super::krl::Severity::Warning, "KRL091", span, msg, Some("a distance sensor in the scenario drives $ANIN[n]"));
                diags.append(&mut sink.out);
            }
        }
        let mut interp =
            Interpreter::with_modules(&module, &others, &cfg).map_err(|errs| errs.diagnostics((&src_name, &loaded.src), dat_ref))?;
        interp.set_global("$MODE_OP", Value::Enum(format!("{:?}", sc.mode)));
        let module_name = loaded.src_path.file_name().and_then(|f| f.to_str()).unwrap_or("program").to_string();
        let controller = Controller {
            interp,
            planner: Planner { model, robroot: sc.robot.base.to_iso(), bco_done: false, dt: sc.tick_ms as f64 / 1000.0 },
            ipo: Interpolator::new(q),
            op: Operator::new(sc.mode),
            module: module_name,
            program_done: false,
            budget_warned: false,
            approx_lines_noted: Vec::new(),
            time_s: 0.0,
            jog_settings: jog::JogSettings::default(),
            tool_no: sc.tool.number,
            base_no: 0,
            jog: None,
            path_q: None,
            back_to_path: None,
            at_breakpoint: None,
            bco_pending: false,
            bco_line: None,
        };
        Ok((controller, diags))
    }

    // ---------- read-only state ----------

    /// Axis positions, degrees.
    pub fn axes_deg(&self) -> [f64; 6] {
        self.ipo.q()
    }
    pub fn model(&self) -> &crate::sim::robot::RobotModel {
        &self.planner.model
    }
    pub fn robroot(&self) -> Isometry3<f64> {
        self.planner.robroot
    }
    pub fn state(&self) -> ProgramState {
        self.op.state
    }
    pub fn mode(&self) -> OperatingMode {
        self.op.mode
    }
    pub fn override_pct(&self) -> f64 {
        self.op.override_pct
    }
    /// The main run's path speed, 0..=1 of the planned speed (the override, ramped).
    pub fn path_speed(&self) -> f64 {
        self.ipo.path_speed()
    }
    pub fn step_mode(&self) -> StepMode {
        self.op.step_mode
    }
    /// The line the advance run (interpreter) is on.
    pub fn advance_line(&self) -> u32 {
        self.interp.current.line
    }
    /// The advance-run pointer: the module file (None: the program's own) and the line.
    pub fn advance_pointer(&self) -> (Option<String>, u32) {
        (self.interp.current_file().map(str::to_string), self.interp.current.line)
    }
    /// The main-run pointer, while the robot is on a motion: its module file and line.
    pub fn main_run_pointer(&self) -> Option<(Option<String>, u32)> {
        self.ipo.front_pointer()
    }
    /// The line of the motion the robot is executing, if moving.
    /// The planned motions still to go (see [`Interpolator::ahead`]).
    pub fn path_ahead(&self, every: usize) -> Vec<([f64; 6], Isometry3<f64>)> {
        self.ipo.ahead(every)
    }
    pub fn main_run_line(&self) -> Option<u32> {
        self.ipo.front_line()
    }
    pub fn variable(&self, name: &str) -> Option<&Value> {
        self.interp.variable(name)
    }

    // ---------- operator commands ----------

    /// Applies an operator command (Reset is the world's: it rebuilds everything).
    pub fn command(&mut self, c: &Command, ev: &mut Vec<Event>) {
        match c {
            Command::Start if self.op.start_blocked().is_some() => {
                let why = self.op.start_blocked().unwrap_or_default();
                self.msg(ev, Level::Status, why, None);
            }
            Command::Start => match self.op.state {
                ProgramState::Ready | ProgramState::Stopped | ProgramState::Halted => {
                    if self.jog.is_some() {
                        self.msg(ev, Level::Status, "Release the jog key before Start".into(), None);
                        return;
                    }
                    if self.op.state == ProgramState::Ready {
                        self.msg(ev, Level::Notification, "Program started".into(), None);
                    }
                    self.op.start_held = true;
                    self.op.step_armed = true;
                    self.at_breakpoint = None;
                    self.plan_back_to_path(ev);
                    self.set_state(ProgramState::Running, ev);
                }
                ProgramState::Running => self.op.start_held = true,
                ProgramState::Finished | ProgramState::Faulted => {
                    self.msg(ev, Level::Status, "Reset the program before starting it again".into(), None);
                }
            },
            Command::Stop => {
                if self.op.state == ProgramState::Running {
                    self.msg(ev, Level::Status, "Stopped by the operator".into(), None);
                    self.set_state(ProgramState::Stopped, ev);
                }
            }
            Command::Reset => {}
            Command::ReleaseStart => self.release_start(ev),
            Command::EnablingSwitch(held) => self.enabling_switch(*held, ev),
            Command::Jog { key, plus } => self.start_jog(*key as usize, *plus, ev),
            Command::JogRelease => self.release_jog(),
            Command::SetJogFrame(f) => {
                self.jog = None;
                self.jog_settings.frame = *f;
            }
            Command::SetJogIncrement(i) => {
                self.jog = None;
                self.jog_settings.increment = *i;
            }
            Command::SetJogOverride(p) => {
                self.jog_settings.override_pct = (*p).clamp(1, 100) as f64;
                self.interp.set_global("$OV_JOG", Value::Int(self.jog_settings.override_pct as i32));
            }
            Command::SelectTool(n) if (1..=16).contains(n) => self.tool_no = *n as usize,
            Command::SelectBase(n) if *n <= 32 => self.base_no = *n as usize,
            Command::SelectTool(n) | Command::SelectBase(n) => {
                self.msg(ev, Level::Status, format!("No such tool or base number: {n} (tools 1..16, bases 0..32)"), None)
            }
            Command::SetBreakpoint { file, line, on } => self.set_breakpoint(file.as_deref(), *line, *on, ev),
            Command::SelectBlock { line } => self.select_block(*line, ev),
            // The program's files are the world's.
            Command::TouchUp { .. }
            | Command::NewMotion { .. }
            | Command::Edit { .. }
            | Command::Reload { .. }
            | Command::Save { .. }
            | Command::SetInput { .. }
            | Command::SetAnalogInput { .. }
            | Command::PlaceOrder { .. }
            | Command::SelectProgram { .. } => {}
            Command::EmergencyStop(pressed) => self.emergency_stop(*pressed, ev),
            Command::SetDoor(open) => self.set_door(*open, ev),
            Command::Acknowledge => self.acknowledge(ev),
            Command::AcknowledgeOne(i) => self.acknowledge_one(*i, ev),
            // The cell's faults are the cell's; an E-STOP fault is the button.
            Command::InjectFault { .. } => {}
            Command::SetOverride(p) => self.set_override((*p).min(100) as f64),
            Command::SetStepMode(m) => self.op.step_mode = *m,
            Command::SetMode(m) => {
                if *m != self.op.mode && self.op.state == ProgramState::Running {
                    // A KR C stops a running program with STOP 2 when the mode changes.
                    self.msg(ev, Level::Status, format!("Operating mode changed to {m:?}: the program stopped (STOP 2)"), None);
                    self.set_state(ProgramState::Stopped, ev);
                }
                self.op.mode = *m;
                self.interp.set_global("$MODE_OP", Value::Enum(format!("{m:?}")));
                self.msg(ev, Level::Notification, format!("Operating mode {m:?}"), None);
            }
        }
    }

    /// The E-STOP button: STOP 1 on the path in every mode; the program stops and Start waits
    /// until the button is released and the message acknowledged.
    pub fn emergency_stop(&mut self, pressed: bool, ev: &mut Vec<Event>) {
        if pressed == self.op.estop {
            return;
        }
        self.op.estop = pressed;
        if pressed {
            let text = "EMERGENCY STOP (STOP 1)".to_string();
            self.msg(ev, Level::Acknowledgement, text.clone(), None);
            self.op.to_acknowledge.push(text);
            if self.op.state == ProgramState::Running {
                self.set_state(ProgramState::Stopped, ev);
            }
        } else {
            self.msg(ev, Level::Notification, "E-STOP released: acknowledge the message, then Start".into(), None);
        }
    }

    /// The safety gate: opened in AUT it stops the robot (STOP 1); in T1 and T2 it may be open.
    pub fn set_door(&mut self, open: bool, ev: &mut Vec<Event>) {
        if open == self.op.door_open {
            return;
        }
        self.op.door_open = open;
        if open && self.op.mode == OperatingMode::AUT {
            let text = "Safety gate open (STOP 1)".to_string();
            self.msg(ev, Level::Acknowledgement, text.clone(), None);
            self.op.to_acknowledge.push(text);
            if self.op.state == ProgramState::Running {
                self.set_state(ProgramState::Stopped, ev);
            }
        } else if !open {
            self.msg(ev, Level::Notification, "Safety gate closed".into(), None);
        }
    }

    /// Acknowledges the safety messages whose cause is gone.
    pub fn acknowledge(&mut self, ev: &mut Vec<Event>) {
        if self.op.to_acknowledge.is_empty() {
            return;
        }
        let before = self.op.to_acknowledge.len();
        let kept: Vec<String> = self.op.to_acknowledge.iter().filter(|t| self.cause_remains(t)).cloned().collect();
        self.op.to_acknowledge = kept;
        if self.op.to_acknowledge.len() == before {
            let why = self.op.start_blocked().unwrap_or_default();
            self.msg(ev, Level::Status, format!("Cannot acknowledge yet: {why}"), None);
        } else {
            self.msg(ev, Level::Notification, "Messages acknowledged".into(), None);
        }
    }

    /// A safety stop's message stays while its cause does (the E-STOP pressed, the gate open in AUT).
    fn cause_remains(&self, text: &str) -> bool {
        (text.starts_with("EMERGENCY STOP") && self.op.estop)
            || (text.starts_with("Safety gate") && self.op.door_open && self.op.mode == OperatingMode::AUT)
    }

    /// Acknowledges one message of [`Controller::to_acknowledge`] once its cause is gone.
    pub fn acknowledge_one(&mut self, i: usize, ev: &mut Vec<Event>) {
        let Some(text) = self.op.to_acknowledge.get(i).cloned() else { return };
        if self.cause_remains(&text) {
            self.msg(ev, Level::Status, format!("Cannot acknowledge yet: the cause is still there ({text})"), None);
            return;
        }
        self.op.to_acknowledge.remove(i);
    }

    /// Takes over the E-STOP, the gate and the messages to acknowledge (a Reset keeps them).
    pub fn keep_safety(&mut self, old: &Controller) {
        self.op.estop = old.op.estop;
        self.op.door_open = old.op.door_open;
        self.op.to_acknowledge = old.op.to_acknowledge.clone();
    }

    /// Takes over what the pendant has set (jog settings, tool, base, breakpoints): a Reset and
    /// a reloaded program keep them.
    pub fn keep_pendant(&mut self, old: &Controller) {
        self.jog_settings = old.jog_settings;
        self.tool_no = old.tool_no;
        self.base_no = old.base_no;
        self.op.enabling = old.op.enabling;
        self.interp.keep_breakpoints(&old.interp);
        self.interp.set_global("$OV_JOG", Value::Int(self.jog_settings.override_pct as i32));
    }

    /// A reloaded program (after an edit): the robot stays where it stands, the operator's
    /// settings stay, the program is reset.
    pub fn take_over(&mut self, old: &Controller) {
        self.keep_pendant(old);
        self.keep_safety(old);
        self.ipo = Interpolator::new(old.ipo.q());
        self.set_override(old.op.override_pct);
        self.op.mode = old.op.mode;
        self.op.step_mode = old.op.step_mode;
        self.interp.set_global("$MODE_OP", Value::Enum(format!("{:?}", self.op.mode)));
    }

    /// Sets a data-list variable's value now and at the next reset (touch-up).
    pub fn set_data(&mut self, name: &str, v: Value) {
        self.interp.set_data(name, v);
    }

    /// Safety messages waiting to be acknowledged.
    pub fn to_acknowledge(&self) -> &[String] {
        &self.op.to_acknowledge
    }
    pub fn estop_pressed(&self) -> bool {
        self.op.estop
    }
    pub fn door_open(&self) -> bool {
        self.op.door_open
    }

    /// Sets `$OV_PRO`; the robot's path speed ramps to it.
    pub fn set_override(&mut self, pct: f64) {
        self.op.override_pct = pct.clamp(0.0, 100.0);
        self.interp.set_global("$OV_PRO", Value::Int(self.op.override_pct as i32));
    }

    // ---------- the tick ----------

    /// One tick of the controller at simulated time `time_s`: the advance run (while the program
    /// runs), then the main run, which brakes the robot to a standstill when it may not move.
    pub fn step(&mut self, io: &mut Io, time_s: f64, ev: &mut Vec<Event>, clock: &mut dyn crate::sim::world::PhaseClock) {
        use crate::sim::world::Phase;
        self.time_s = time_s;
        if self.jog.is_some() {
            self.jog_tick(ev);
            clock.lap(Phase::MainRun);
            return;
        }
        if self.op.state == ProgramState::Running && self.at_breakpoint.is_none() {
            self.advance_run(io, ev);
        }
        clock.lap(Phase::AdvanceRun);
        self.main_run(io, ev);
        if let Some(line) = self.at_breakpoint
            && self.op.state == ProgramState::Running
            && self.ipo.is_empty()
            && self.path_q.is_none()
        {
            self.msg(ev, Level::Status, "Breakpoint: the program stopped before this line".into(), Some(line));
            self.set_state(ProgramState::Stopped, ev);
        }
        let op = &self.op;
        if op.state == ProgramState::Running && op.step_mode == StepMode::Line && !op.step_armed && self.ipo.is_empty() {
            // ISTEP: the statement and its motion are done.
            self.set_state(ProgramState::Stopped, ev);
        }
        clock.lap(Phase::MainRun);
    }

    /// Stops the program and the robot at once with a red message.
    pub fn fault(&mut self, ev: &mut Vec<Event>, text: String, line: Option<u32>) {
        let file = self.interp.current_file().map(str::to_string);
        self.fault_in(ev, text, line, file.as_deref());
    }

    /// As `fault`, at a line of the module `file` (None: the program's own).
    fn fault_in(&mut self, ev: &mut Vec<Event>, text: String, line: Option<u32>, file: Option<&str>) {
        self.ipo.clear();
        self.jog = None;
        // A fault's message must be acknowledged before the next Start.
        if !self.op.to_acknowledge.contains(&text) {
            self.op.to_acknowledge.push(text.clone());
        }
        self.msg_in(ev, Level::Acknowledgement, text, line, file);
        self.set_state(ProgramState::Faulted, ev);
    }

    fn set_state(&mut self, s: ProgramState, ev: &mut Vec<Event>) {
        if self.op.state != s {
            self.op.state = s;
            ev.push(Event::State(s));
        }
    }

    fn msg(&self, ev: &mut Vec<Event>, level: Level, text: String, line: Option<u32>) {
        self.msg_in(ev, level, text, line, self.interp.current_file());
    }

    /// A message about `line` of the module `file` (None: the program's own).
    fn msg_in(&self, ev: &mut Vec<Event>, level: Level, text: String, line: Option<u32>, file: Option<&str>) {
        let text = match line {
            Some(l) => format!("{} line {l}: {text}", file.unwrap_or(&self.module)),
            None => text,
        };
        ev.push(Event::Message(Message { level, text, line, time_s: self.time_s }));
    }

    fn main_run(&mut self, io: &mut Io, ev: &mut Vec<Event>) {
        if !self.fire_due_triggers(io, ev) {
            return;
        }
        let goal = if self.op.robot_may_move() { self.op.override_pct / 100.0 } else { 0.0 };
        if self.back_to_path_tick(goal, ev) {
            return;
        }
        let was_empty = self.ipo.is_empty();
        let path = self.ipo.advance(goal, &self.planner.model, self.planner.dt, self.time_s);
        if !self.fire_due_triggers(io, ev) {
            return;
        }
        for e in path {
            match e {
                PathEvent::Started { line } => ev.push(Event::MotionStarted { line }),
                PathEvent::Done { line, file, stop_message, approx_not_possible } => {
                    if let Some(m) = stop_message {
                        // The motion's own module, wherever the advance run is by now.
                        self.fault_in(ev, m, Some(line), file.as_deref());
                        return;
                    }
                    if approx_not_possible && !self.approx_lines_noted.contains(&line) {
                        // No look-ahead: the next motion was not known in time (advance-run stop, $ADVANCE = 0, program end).
                        self.approx_lines_noted.push(line);
                        self.msg(ev, Level::Notification, "Approximation not possible: exact stop".into(), Some(line));
                    }
                    if self.bco_line == Some(line) {
                        self.bco_line = None;
                        self.msg(ev, Level::Notification, "Programmed path reached (BCO)".into(), Some(line));
                    }
                    ev.push(Event::MotionDone { line });
                    if self.op.step_mode == StepMode::Motion && self.op.state == ProgramState::Running {
                        // MSTEP: the robot stands at the point until the next Start.
                        self.set_state(ProgramState::Stopped, ev);
                    }
                }
            }
        }
        if was_empty && self.op.state == ProgramState::Running && self.program_done && !self.ipo.has_delayed_triggers() {
            self.msg(ev, Level::Notification, "Program end reached".into(), None);
            self.set_state(ProgramState::Finished, ev);
        }
    }

    /// Switches the triggers whose time has come, in the order they were passed. False when one
    /// of them faulted.
    fn fire_due_triggers(&mut self, io: &mut Io, ev: &mut Vec<Event>) -> bool {
        for t in self.ipo.take_due_triggers(self.time_s) {
            let mut env = ControllerEnv::new(io, ev, &self.ipo, &self.planner, self.time_s);
            if let Err(e) = self.interp.fire_trigger(&t, &mut env) {
                self.fault(ev, e.message, Some(e.span.line));
                return false;
            }
        }
        true
    }
}

/// The program as the controller loads it.
struct Program {
    /// The selected module, parsed against the others (without a `$config.dat` in reach, what
    /// nothing declares is in its `unknown_names` and `unknown_types`).
    module: super::krl::ast::Module,
    diags: Vec<Diagnostic>,
    /// The other modules that load, and the warnings about those that do not.
    others: Vec<(super::krl::ast::Module, String)>,
    warnings: Vec<Diagnostic>,
    /// What `$config.dat` gives for this cell (HOME, tool, bases).
    cfg: ConfigGlobals,
}

fn parse_program(loaded: &Loaded) -> Program {
    let sc = &loaded.scenario;
    let home = sc.robot.home_deg.unwrap_or(loaded.model.home_deg);
    let cfg = ConfigGlobals { home_deg: home, tool: sc.tool.tcp, tool_number: sc.tool.number, robroot: sc.robot.base, bases: sc.bases() };
    // The other modules first: the program may use what they offer.
    let (others, warnings) = other_modules(loaded, &cfg);
    let mut outside = super::krl::project::Outside::default();
    for (m, file) in &others {
        if super::krl::project::is_config(std::path::Path::new(file)) {
            super::krl::project::add_config(&mut outside, m);
        } else {
            outside.add(m, file);
        }
    }
    outside.without_config = !loaded.others.iter().any(|(p, _)| super::krl::project::is_config(p));
    let src_name = loaded.src_path.display().to_string();
    let dat = loaded.dat.as_ref().map(|(p, t)| (p.display().to_string(), t.as_str()));
    let (module, diags) =
        super::krl::parser::parse_module_with(&src_name, &loaded.src, dat.as_ref().map(|(n, t)| (n.as_str(), *t)), &outside);
    Program { module, diags, others, warnings, cfg }
}

/// `--assume-config`: when no `$config.dat` is in reach, declares the names only one would
/// declare as their use tells, in a `$config.dat` beside the program (kept in `loaded`, so runs
/// and recordings have it). Returns a warning per name; Err when a name's type cannot be told.
pub fn assume_config(loaded: &mut Loaded) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    if loaded.others.iter().any(|(p, _)| super::krl::project::is_config(p)) {
        return Ok(Vec::new());
    }
    let module = parse_program(loaded).module;
    let src_name = loaded.src_path.display().to_string();
    if let Some((ty, span)) = module.unknown_types.first() {
        let mut sink = super::krl::diag::DiagSink::new(&src_name, &loaded.src);
        let msg = format!("type {ty} is declared nowhere: --assume-config cannot tell a type's members");
        sink.error("KRL093", *span, msg, Some("give the program the $config.dat that declares it: --config FILE"));
        return Err(sink.out);
    }
    if module.unknown_names.is_empty() {
        return Ok(Vec::new());
    }
    let (text, warnings) = super::krl::assume::assumed_config(&src_name, &loaded.src, &module, &module.unknown_names)?;
    loaded.others.push((loaded.src_path.with_file_name("$config.dat"), text));
    Ok(warnings)
}

/// The program's other modules, parsed and checked: (module, file name). `$config.dat` comes
/// first (all its data GLOBAL). A module with errors is not loaded, with a warning that says so.
fn other_modules(loaded: &Loaded, cfg: &ConfigGlobals) -> (Vec<(super::krl::ast::Module, String)>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    use super::krl::parser::parse_module_with;
    use super::krl::project::Outside;
    let name = |p: &std::path::Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    use super::krl::project::{ext_is as is, is_config};
    let mut out = Vec::new();
    let mut warn = |file: &std::path::Path, msg: String, hint: &str| {
        diags.push(Diagnostic {
            severity: super::krl::Severity::Warning,
            code: "KRL090",
            file: file.display().to_string(),
            span: super::krl::Span::new(1, 1, 0),
            message: msg,
            hint: Some(hint.into()),
            excerpt: String::new(),
        });
    };
    const LINT_IT: &str = "lint it to see why: robocell lint FILE";
    // Data lists and modules with errors, left out: (file, what it is).
    let mut left: Vec<(&std::path::Path, &str)> = Vec::new();
    for (p, text) in loaded.others.iter().filter(|(p, _)| is_config(p)) {
        let (mut m, d) = parse_module_with("", "", Some((&p.display().to_string(), text)), &Outside::default());
        // What parsed is loaded: a line with an error declares nothing, the rest stands.
        let errors = d.iter().filter(|d| d.is_error()).count();
        if errors > 0 {
            warn(p, format!("$config.dat has {errors} error(s): what those lines declare is missing"), LINT_IT);
        }
        m.public = true;
        m.data.iter_mut().for_each(|d| d.global = true);
        out.push((m, name(p)));
    }
    let mut ctx = Outside::default();
    for (m, _) in &out {
        super::krl::project::add_config(&mut ctx, m);
    }
    // Data lists without a .src (`DEFDAT globals PUBLIC` alone): their GLOBAL data is everyone's.
    let has_module = |d: &std::path::Path| {
        loaded.others.iter().any(|(p, _)| (is(p, "src") || is(p, "sub")) && p.with_extension("") == d.with_extension(""))
    };
    for (p, text) in loaded.others.iter().filter(|(p, _)| is(p, "dat") && !is_config(p) && !has_module(p)) {
        let (m, d) = parse_module_with("", "", Some((&p.display().to_string(), text)), &ctx);
        if d.iter().any(|d| d.is_error() && d.code != "KRL080") {
            left.push((p, "data list"));
            continue;
        }
        ctx.add(&m, &name(p));
        out.push((m, name(p)));
    }
    for (p, text) in loaded.others.iter().filter(|(p, _)| is(p, "src") || is(p, "sub")) {
        let dat = loaded.others.iter().find(|(d, _)| is(d, "dat") && d.with_extension("") == p.with_extension(""));
        let dat_name = dat.map(|(d, _)| d.display().to_string());
        let (m, d) =
            parse_module_with(&p.display().to_string(), text, dat.zip(dat_name.as_deref()).map(|((_, t), n)| (n, t.as_str())), &ctx);
        // Names from other modules are not errors here: the program's whole set is checked by lint.
        let errors = d.iter().filter(|d| d.is_error() && d.code != "KRL080").count();
        if errors > 0 || m.routines.is_empty() || Interpreter::check(&m, cfg).is_err() {
            left.push((p, "module"));
            continue;
        }
        out.push((m, name(p)));
    }
    // Many left out (a backup's tree): one line naming them.
    if left.len() > 3 {
        let files: Vec<String> = left.iter().map(|(p, _)| name(p)).collect();
        let msg = format!("{} modules beside the program have errors and are not loaded with it: {}", files.len(), files.join(", "));
        warn(&loaded.src_path, msg, "lint the folder to see why: robocell lint FOLDER");
    } else {
        for (p, what) in left {
            warn(p, format!("{what} {} has errors and is not loaded with the program", name(p)), LINT_IT);
        }
    }
    (out, diags)
}
