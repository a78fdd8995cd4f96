//! The phases of one tick, for `robocell bench --profile`: the world calls `lap` as each phase
//! ends, and whoever measures (with a wall clock, outside the core) books the time since the
//! last lap to it.

/// A phase of `World::step`, in the order it runs (`phase as usize` is its place in `ALL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Operator and scheduled commands, faults, orders due.
    Commands,
    /// The order book's handshake and the sensors to inputs (beams, type sensors, gripper).
    Sensors,
    /// The interpreter running ahead: statements, planning motions.
    AdvanceRun,
    /// The interpolator moving the robot one tick, triggers.
    MainRun,
    /// Outputs to actuators (belts, gripper).
    Actuators,
    /// The robot's collision bodies to the new axes.
    RobotBodies,
    /// rapier's step, bins and robot contacts.
    Physics,
    /// Spawned, delivered and drained parts, collisions, as events.
    Events,
    /// The exercise observing the tick.
    Observation,
    /// Messages to the log, the recorder.
    Messages,
}

impl Phase {
    pub const ALL: [Phase; 10] = [
        Phase::Commands,
        Phase::Sensors,
        Phase::AdvanceRun,
        Phase::MainRun,
        Phase::Actuators,
        Phase::RobotBodies,
        Phase::Physics,
        Phase::Events,
        Phase::Observation,
        Phase::Messages,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Phase::Commands => "commands",
            Phase::Sensors => "sensors",
            Phase::AdvanceRun => "advance run",
            Phase::MainRun => "main run",
            Phase::Actuators => "actuators",
            Phase::RobotBodies => "robot bodies",
            Phase::Physics => "physics",
            Phase::Events => "events",
            Phase::Observation => "observation",
            Phase::Messages => "messages",
        }
    }
}

/// Told when each phase of a tick ends.
pub trait PhaseClock {
    fn lap(&mut self, phase: Phase);
}

/// The clock of an unmeasured tick.
pub struct NoClock;

impl PhaseClock for NoClock {
    fn lap(&mut self, _: Phase) {}
}

#[cfg(test)]
mod tests {
    use super::Phase;

    #[test]
    fn all_lists_the_phases_in_their_order() {
        assert!(Phase::ALL.iter().enumerate().all(|(i, p)| *p as usize == i));
    }
}
