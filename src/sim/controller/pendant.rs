//! The smartPAD's side of the controller beyond Start and Stop: the enabling switch, jogging
//! (and the BCO run back to the path after jogging away from a stopped program), breakpoints,
//! block selection, the taught pose and the watch panel's values.

use nalgebra::Isometry3;

use super::Controller;
use super::jog::{self, Jog, JogFrames, JogStep};
use super::operator::{Level, ProgramState};
use crate::sim::kinematics::{fk, status_of, turn_of};
use crate::sim::krl::teach::Pose;
use crate::sim::krl::value::Value;
use crate::sim::math::Frame;
use crate::sim::motion::{PtpParams, plan_ptp_capped};
use crate::sim::scenario::OperatingMode;
use crate::sim::world::Event;

/// Where the robot goes back to its path: the planned return and how far along it is.
#[derive(Clone)]
pub(super) struct BackToPath {
    pub samples: Vec<[f64; 6]>,
    pub p: f64,
}

impl Controller {
    /// The enabling switch held (true) or let go: letting go stops a running program (STOP 2)
    /// and a jog in T1 and T2.
    pub fn enabling_switch(&mut self, held: bool, ev: &mut Vec<Event>) {
        if held == self.op.enabling {
            return;
        }
        self.op.enabling = held;
        if !held {
            self.jog = None;
            if self.op.state == ProgramState::Running && self.op.mode != OperatingMode::AUT {
                self.msg(ev, Level::Status, "Enabling switch released (STOP 2)".into(), None);
                self.set_state(ProgramState::Stopped, ev);
            }
        }
    }

    /// The Start key let go: in T1 and T2 the program stops (STOP 2).
    pub fn release_start(&mut self, ev: &mut Vec<Event>) {
        self.op.start_held = false;
        if self.op.state == ProgramState::Running && self.op.mode != OperatingMode::AUT {
            self.msg(ev, Level::Status, "Start key released (STOP 2): hold Start to go on".into(), None);
            self.set_state(ProgramState::Stopped, ev);
        }
    }

    /// A jog key pressed: refused with a message unless the robot may be jogged now.
    pub fn start_jog(&mut self, key: usize, plus: bool, ev: &mut Vec<Event>) {
        let why = if self.op.mode != OperatingMode::T1 {
            Some(format!("Jogging only in T1 (the mode is {:?})", self.op.mode))
        } else if self.op.state == ProgramState::Running {
            Some("The program is running: stop it before jogging".into())
        } else if !self.op.enabling {
            Some("Hold the enabling switch to jog".into())
        } else {
            self.op.start_blocked()
        };
        if let Some(why) = why {
            self.msg(ev, Level::Status, why, None);
            return;
        }
        if !self.ipo.is_empty() && self.path_q.is_none() {
            // Jogging away from a stopped program: Start first brings the robot back.
            self.path_q = Some(self.ipo.q());
        }
        self.back_to_path = None;
        self.jog = Some(Jog::new(key, plus));
    }

    pub fn release_jog(&mut self) {
        if let Some(j) = &mut self.jog {
            j.released = true;
        }
    }

    /// One tick of a held jog key.
    pub(super) fn jog_tick(&mut self, ev: &mut Vec<Event>) {
        let Some(mut j) = self.jog.take() else { return };
        if !self.op.enabling || self.op.estop || self.op.mode != OperatingMode::T1 {
            return;
        }
        let frames = self.jog_frames();
        let q = self.ipo.q();
        match jog::step(&self.planner.model, &frames, &self.jog_settings, &mut j, q, self.planner.dt) {
            JogStep::Moving(n) => {
                self.ipo.set_q(n);
                self.jog = Some(j);
            }
            JogStep::Done(n) => self.ipo.set_q(n),
            JogStep::Stopped(n, why) => {
                self.ipo.set_q(n);
                self.msg(ev, Level::Status, why, None);
            }
        }
    }

    /// A jog is under way.
    pub fn jogging(&self) -> bool {
        self.jog.is_some()
    }

    /// The selected tool and base, and the robot's base, in the world.
    pub fn jog_frames(&self) -> JogFrames {
        JogFrames {
            robroot: self.planner.robroot,
            base: self.data_frame("BASE_DATA", self.base_no, 32),
            tool: self.data_frame("TOOL_DATA", self.tool_no, 16),
        }
    }

    /// `TOOL_DATA[n]` or `BASE_DATA[n]` as the program has them now (0: the null frame).
    fn data_frame(&self, table: &str, n: usize, max: i64) -> Isometry3<f64> {
        match self.interp.frame_entry(table, n as i64, max) {
            Some(Value::Struct(s)) => s.to_frame().map_or_else(Isometry3::identity, |f| f.to_iso()),
            _ => Isometry3::identity(),
        }
    }

    /// The pose a touch-up writes: the TCP in the selected base with the selected tool, S, T.
    pub fn taught_pose(&self) -> Pose {
        let f = self.jog_frames();
        let q = self.ipo.q();
        let tcp = f.base.inverse() * f.robroot * fk(&self.planner.model, &q) * f.tool;
        Pose {
            frame: Frame::from_iso(&tcp),
            s: status_of(&self.planner.model, &q),
            t: turn_of(&q),
            axes: q,
            tool_no: self.tool_no,
            base_no: self.base_no,
        }
    }

    /// Start after jogging away from the path: plans the way back (a BCO run).
    pub(super) fn plan_back_to_path(&mut self, ev: &mut Vec<Event>) {
        let Some(target) = self.path_q else { return };
        if self.back_to_path.is_some() {
            return;
        }
        let p = PtpParams { vel_axis_pct: [100.0; 6], acc_axis_pct: [100.0; 6], override_pct: 100.0 };
        let tool = self.jog_frames().tool;
        let cap = (self.op.mode == OperatingMode::T1).then_some((&tool, super::T1_SPEED_MM_S));
        let t = plan_ptp_capped(&self.planner.model, &self.ipo.q(), &target, &p, cap, self.planner.dt);
        self.back_to_path = Some(BackToPath { samples: t.samples, p: 0.0 });
        self.msg(ev, Level::Notification, "BCO run: the robot returns to its path".into(), None);
    }

    /// One tick of the way back to the path; true while the robot is off its path.
    pub(super) fn back_to_path_tick(&mut self, goal: f64, ev: &mut Vec<Event>) -> bool {
        let Some(target) = self.path_q else { return false };
        let q = self.ipo.q();
        let Some(b) = &mut self.back_to_path else {
            self.ipo.set_q(q);
            return true;
        };
        b.p += goal;
        let n = b.samples.len();
        if b.p as usize >= n {
            self.ipo.set_q(target);
            self.path_q = None;
            self.back_to_path = None;
            self.msg(ev, Level::Notification, "Programmed path reached (BCO)".into(), None);
            return true;
        }
        let next = b.samples[b.p as usize];
        self.ipo.set_q(next);
        true
    }

    /// Sets or clears a breakpoint on `line` of module file `file` (None: the program's own).
    pub fn set_breakpoint(&mut self, file: Option<&str>, line: u32, on: bool, ev: &mut Vec<Event>) {
        if !self.interp.set_breakpoint(file, line, on) {
            let f = file.unwrap_or_default();
            self.msg(ev, Level::Status, format!("No module {f} is loaded with this program: no breakpoint set"), None);
        }
    }

    /// The breakpoints: (module file, None for the program's own; line).
    pub fn breakpoints(&self) -> Vec<(Option<String>, u32)> {
        self.interp.breakpoints()
    }

    /// The line the program stands before at a breakpoint.
    pub fn at_breakpoint(&self) -> Option<u32> {
        self.at_breakpoint
    }

    /// Block selection: the program pointer to `line` of the main routine; the next Start
    /// makes a BCO run to the next motion's point.
    pub fn select_block(&mut self, line: u32, ev: &mut Vec<Event>) {
        let why = match self.op.state {
            ProgramState::Running => Some("Stop the program before a block selection"),
            ProgramState::Faulted => Some("Reset the program before a block selection"),
            _ => None,
        };
        if let Some(why) = why {
            self.msg(ev, Level::Status, why.into(), None);
            return;
        }
        if !self.interp.select_line(line) {
            self.msg(ev, Level::Status, format!("Block selection: line {line} holds no statement of the main routine"), None);
            return;
        }
        self.ipo.clear();
        self.path_q = None;
        self.back_to_path = None;
        self.at_breakpoint = None;
        self.program_done = false;
        self.planner.bco_done = false;
        self.bco_pending = true;
        if self.op.state == ProgramState::Finished {
            self.set_state(ProgramState::Stopped, ev);
        }
        self.msg(ev, Level::Notification, format!("Block selection to line {line}: Start makes a BCO run to the next point"), None);
    }

    /// A value for the watch panel: a variable by name with members and indices
    /// (`PARTS[2].X`), or `$POS_ACT` / `$AXIS_ACT` as the robot stands.
    pub fn watch(&self, expr: &str) -> Result<Value, String> {
        let path = parse_watch(expr)?;
        let (root, rest) = path.split_first().ok_or("type a variable's name")?;
        let Step::Name(name) = root else { return Err("start with a variable's name".into()) };
        let mut v = match name.as_str() {
            "$POS_ACT" => {
                let p = self.taught_pose();
                Value::e6pos(&p.frame, p.s, p.t)
            }
            "$AXIS_ACT" => Value::e6axis(&self.ipo.q()),
            "$OV_JOG" => Value::Int(self.jog_settings.override_pct as i32),
            n => self.interp.variable(n).cloned().ok_or(format!("{n} is not a variable of this program"))?,
        };
        for s in rest {
            v = match (s, v) {
                (Step::Name(m), Value::Struct(sv)) => sv.get(m).cloned().ok_or(format!("{} has no member {m}", sv.ty))?,
                (Step::Index(ix), Value::Array(a)) => {
                    if ix.len() != a.dims.len() || ix.iter().zip(&a.dims).any(|(i, d)| *i < 1 || *i > *d) {
                        return Err(format!(
                            "index out of range: the array is [{}]",
                            a.dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",")
                        ));
                    }
                    let mut flat = 0;
                    for (i, d) in ix.iter().zip(&a.dims) {
                        flat = flat * d + (i - 1);
                    }
                    a.elems[flat].clone()
                }
                (Step::Name(m), other) => return Err(format!("{} has no member {m}", other.type_name())),
                (Step::Index(_), other) => return Err(format!("{} is not an array", other.type_name())),
            };
        }
        Ok(v)
    }

    /// The call stack, outermost first: (routine, module file, line).
    pub fn call_stack(&self) -> Vec<(String, Option<String>, u32)> {
        self.interp.call_stack()
    }
}

enum Step {
    Name(String),
    Index(Vec<usize>),
}

/// `NAME`, `.MEMBER` and `[i,j]` steps of a watch expression.
fn parse_watch(s: &str) -> Result<Vec<Step>, String> {
    let mut out = Vec::new();
    let mut chars = s.trim().chars().peekable();
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    while let Some(&c) = chars.peek() {
        if name_char(c) {
            let mut n = String::new();
            while let Some(&c) = chars.peek().filter(|c| name_char(**c)) {
                n.push(c.to_ascii_uppercase());
                chars.next();
            }
            out.push(Step::Name(n));
        } else if c == '.' && !out.is_empty() {
            chars.next();
            if !chars.peek().is_some_and(|c| name_char(*c)) {
                return Err("a member name must follow '.'".into());
            }
        } else if c == '[' {
            chars.next();
            let inner: String = chars.by_ref().take_while(|c| *c != ']').collect();
            let ix =
                inner.split(',').map(|p| p.trim().parse::<usize>().map_err(|_| format!("'{}' is not an index (use numbers)", p.trim())));
            out.push(Step::Index(ix.collect::<Result<_, _>>()?));
        } else if c.is_whitespace() {
            chars.next();
        } else {
            return Err(format!("'{c}' cannot be watched: use NAME, NAME.MEMBER or NAME[i]"));
        }
    }
    Ok(out)
}
