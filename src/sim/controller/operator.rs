//! The operator's side of the controller: operating mode, program override, run mode, the
//! program's state, and the messages the smartHMI shows.

use crate::sim::scenario::OperatingMode;

/// Program run modes of the pendant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Stopped by the operator (the robot brakes on its path and stands).
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

/// What the operator has set on the pendant, and where the program stands.
#[derive(Clone, Debug)]
pub struct Operator {
    pub state: ProgramState,
    pub mode: OperatingMode,
    /// `$OV_PRO`, percent: the path speed the interpolator ramps to.
    pub override_pct: f64,
    pub step_mode: StepMode,
    /// ISTEP: the statement for this Start has not run yet.
    pub step_armed: bool,
    /// The E-STOP button is pressed (it stays until released).
    pub estop: bool,
    /// The safety gate (fence door) is open.
    pub door_open: bool,
    /// Red messages of safety stops and faults that must be acknowledged before Start.
    pub to_acknowledge: Vec<String>,
    /// The enabling switch is held in its centre position.
    pub enabling: bool,
    /// The Start key is held (in T1 and T2 a program runs only while it is).
    pub start_held: bool,
}

impl Operator {
    pub fn new(mode: OperatingMode) -> Self {
        Operator {
            state: ProgramState::Ready,
            mode,
            override_pct: 100.0,
            step_mode: StepMode::Go,
            step_armed: false,
            estop: false,
            door_open: false,
            to_acknowledge: Vec::new(),
            enabling: false,
            start_held: false,
        }
    }

    /// The robot may move along its path: anything else brakes it to a standstill.
    pub fn robot_may_move(&self) -> bool {
        self.state == ProgramState::Running && !self.estop && !(self.door_open && self.mode == OperatingMode::AUT) && self.hands_on()
    }

    /// In T1 and T2 the robot moves only while the enabling switch and Start are held.
    pub fn hands_on(&self) -> bool {
        self.mode == OperatingMode::AUT || (self.enabling && self.start_held)
    }

    /// Why Start is refused now, if it is.
    pub fn start_blocked(&self) -> Option<String> {
        if self.estop {
            Some("E-STOP pressed: release it and acknowledge the message before Start".into())
        } else if self.door_open && self.mode == OperatingMode::AUT {
            Some("Safety gate open: close it and acknowledge before Start in AUT".into())
        } else if !self.to_acknowledge.is_empty() {
            Some(format!("Acknowledge the message first: {}", self.to_acknowledge[0]))
        } else if self.mode != OperatingMode::AUT && !self.enabling {
            Some(format!("{:?}: hold the enabling switch, then press and hold Start", self.mode))
        } else {
            None
        }
    }
}
