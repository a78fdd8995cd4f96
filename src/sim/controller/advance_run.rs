//! The advance run: the interpreter runs the program ahead of the robot, hands each motion to
//! the planner and the main run's queue, and stops where the controller's rules say it must
//! (I/O access, WAIT, HALT, `$ADVANCE` motions ahead, the program's end).

use nalgebra::Isometry3;

use super::approximation::{approx_zone, blend};
use super::interpolator::{Interpolator, Planned, trigger_sample};
use super::operator::{Level, ProgramState, StepMode};
use super::planner::Planner;
use super::{BRAKE_RAMP_S, Controller, OPS_PER_TICK};
use crate::sim::io::Io;
use crate::sim::kinematics::{fk, status_of, turn_of};
use crate::sim::krl::interp::messages::MsgKind;
use crate::sim::krl::value::Value;
use crate::sim::krl::{Env, Yield};
use crate::sim::math::Frame;
use crate::sim::robot::RobotModel;
use crate::sim::scenario::OperatingMode;
use crate::sim::world::Event;

/// What the program sees of the controller and the cell while it runs.
pub(super) struct ControllerEnv<'a> {
    pub io: &'a mut Io,
    pub events: &'a mut Vec<Event>,
    pub q: [f64; 6],
    pub pending: usize,
    pub time_s: f64,
    pub model: &'a RobotModel,
    pub robroot: Isometry3<f64>,
}

impl<'a> ControllerEnv<'a> {
    /// What the program sees now: the I/O image, the robot where the main run has it.
    pub fn new(io: &'a mut Io, events: &'a mut Vec<Event>, ipo: &Interpolator, planner: &'a Planner, time_s: f64) -> Self {
        ControllerEnv { io, events, q: ipo.q(), pending: ipo.len(), time_s, model: &planner.model, robroot: planner.robroot }
    }
}

impl Env for ControllerEnv<'_> {
    fn input(&self, n: usize) -> bool {
        self.io.inputs[n]
    }
    fn output(&self, n: usize) -> bool {
        self.io.outputs[n]
    }
    fn analog_in(&self, n: usize) -> f64 {
        self.io.analog_in[n]
    }
    fn analog_out(&self, n: usize) -> f64 {
        self.io.analog_out[n]
    }
    fn set_analog_out(&mut self, n: usize, v: f64) {
        self.io.analog_out[n] = v;
    }
    fn message(&mut self, kind: MsgKind, text: String, line: u32) {
        let level = match kind {
            MsgKind::Notify => Level::Notification,
            MsgKind::State => Level::Status,
            MsgKind::Quit => Level::Acknowledgement,
        };
        self.events.push(Event::Message(crate::sim::world::Message { level, text, line: Some(line), time_s: self.time_s }));
    }
    fn set_output(&mut self, n: usize, v: bool, line: u32) {
        if self.io.outputs[n] != v {
            self.io.outputs[n] = v;
            self.events.push(Event::Output { n, value: v, line });
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

impl Controller {
    pub(super) fn advance_run(&mut self, io: &mut Io, ev: &mut Vec<Event>) {
        // $OV_PRO written by the program takes effect like the pendant's override.
        if let Some(Value::Int(ov)) = self.interp.variable("$OV_PRO") {
            self.op.override_pct = (*ov).clamp(0, 100) as f64;
        }
        if self.op.step_mode == StepMode::Line && !self.op.step_armed {
            return;
        }
        let line_step = self.op.step_mode == StepMode::Line;
        let mut budget = if line_step { 1 } else { OPS_PER_TICK };
        loop {
            let before = self.interp.ops_executed;
            let y = {
                let mut env = ControllerEnv::new(io, ev, &self.ipo, &self.planner, self.time_s);
                self.interp.resume(&mut env, budget)
            };
            let ran = self.interp.ops_executed - before;
            budget = budget.saturating_sub(ran as u32);
            if line_step && ran > 0 {
                self.op.step_armed = false;
            }
            match y {
                Yield::Motion(cmd) => {
                    let line = cmd.span.line;
                    let start = match self.ipo.back_mut() {
                        Some((last, _)) => last.end,
                        None => self.ipo.q(),
                    };
                    match self.planner.plan(&cmd, start, self.op.mode == OperatingMode::T1) {
                        Ok(traj) => {
                            if std::mem::take(&mut self.bco_pending) {
                                self.bco_line = Some(line);
                                self.msg(ev, Level::Notification, "BCO run to this line's point".into(), Some(line));
                            }
                            let end = traj.samples.last().copied().unwrap_or(start);
                            let tool = cmd.tool.to_iso();
                            let dt = self.planner.dt;
                            let model = &self.planner.model;
                            let triggers =
                                cmd.triggers.iter().map(|t| (trigger_sample(model, &traj.samples, &tool, t, dt), t.clone())).collect();
                            let file = self.interp.current_file().map(str::to_string);
                            let mut next = Planned {
                                traj,
                                line,
                                file,
                                approx: approx_zone(&cmd),
                                blended: false,
                                end,
                                tool,
                                triggers,
                                started: false,
                            };
                            if let Some((prev, passed)) = self.ipo.back_mut() {
                                blend(prev, passed, &mut next, model, dt);
                            }
                            self.ipo.push(next);
                        }
                        Err(text) => {
                            self.fault(ev, text, Some(line));
                            return;
                        }
                    }
                }
                Yield::Brake { fast } => {
                    self.ipo.brake(if fast { BRAKE_RAMP_S / 2.0 } else { BRAKE_RAMP_S }, &self.planner.model, self.planner.dt);
                    return;
                }
                Yield::Resume => {
                    // The aborted routines' motions are dropped; a robot still moving brakes.
                    self.ipo.brake(BRAKE_RAMP_S, &self.planner.model, self.planner.dt);
                }
                Yield::Blocked => return,
                Yield::Budget if line_step => return,
                Yield::Budget => {
                    if !self.budget_warned {
                        self.budget_warned = true;
                        let line = self.interp.current.line;
                        let text =
                            format!("{OPS_PER_TICK} statements in one tick without a motion or WAIT: the loop runs on, one slice per tick");
                        self.msg(ev, Level::Status, text, Some(line));
                    }
                    return;
                }
                Yield::Halt => {
                    let line = self.interp.current.line;
                    self.msg(ev, Level::Status, "HALT: program stopped, press Start to continue".into(), Some(line));
                    self.set_state(ProgramState::Halted, ev);
                    return;
                }
                Yield::Breakpoint(line) => {
                    self.at_breakpoint = Some(line);
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
}
