//! Faults for troubleshooting lessons: scheduled in the scenario or injected live as a command.
//! Each shows what the real one would: a message where the controller gives one, nothing where
//! the lesson is to find it.

use serde::{Deserialize, Serialize};

/// What goes wrong.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum FaultKind {
    /// A sensor's input stays at `value` whatever it sees.
    SensorStuck { input: usize, value: bool },
    /// The vacuum breaks down: a held part drops, and nothing is held until it ends.
    VacuumLost,
    /// The gripper does not take the next parts: the vacuum does not build up, a parallel
    /// gripper's jaws slip off the part and close on nothing.
    GripFails,
    /// The belt stops although its motor output is on.
    ConveyorJam { conveyor: String },
    /// The next part spawned is of this type, whatever the spawner would give.
    UnexpectedPart { part_type: String },
    /// Someone presses the E-STOP (released by the E-STOP command, or after `for_s`).
    EmergencyStop,
}

/// A fault at a time of the run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub at_s: f64,
    pub kind: FaultKind,
    /// How long it lasts, seconds; for ever when not given (an unexpected part happens once).
    #[serde(default)]
    pub for_s: Option<f64>,
}
