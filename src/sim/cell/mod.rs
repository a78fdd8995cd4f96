//! The physical cell: the rapier world (conveyors, parts, gripper, bins, the robot's collision
//! bodies) and its wiring to the I/O image: sensors write inputs, outputs drive actuators.

pub mod physics;

use nalgebra::{Isometry3, Vector3};

use self::physics::{PartState, PartView, PhysicsCell, PhysicsReport, RobotShape};
use super::io::Io;
use super::kinematics::link_frames;
use super::robot::RobotModel;
use super::scenario::{FaultKind, GripperSpec, PartShape, Scenario, SensorKind};
use super::world::Event;

/// A beam sensor's output with an off-delay: it drops only after the beam was clear for
/// `OFF_DELAY_TICKS` ticks, so an edge grazing the beam (a cylinder's round front) gives one
/// switch, not a flicker.
#[derive(Clone, Debug, Default)]
struct Beam {
    value: u32,
    clear_ticks: u32,
}

const OFF_DELAY_TICKS: u32 = 3;

impl Beam {
    /// `seen`: what the beam reads now (`None` when clear).
    fn read(&mut self, seen: Option<u32>) -> u32 {
        match seen {
            Some(v) => {
                self.value = v;
                self.clear_ticks = 0;
            }
            None => {
                self.clear_ticks += 1;
                if self.clear_ticks >= OFF_DELAY_TICKS {
                    self.value = 0;
                }
            }
        }
        self.value
    }
}

/// Faults in force, each until its time (seconds; infinity: for ever).
#[derive(Clone, Debug, Default)]
struct Faults {
    stuck: Vec<(usize, bool, f64)>,
    vacuum_lost_until: Option<f64>,
    grip_fails_until: Option<f64>,
    jams: Vec<(usize, f64)>,
}

impl Faults {
    const VACUUM_LOST: &str = "vacuum lost";
    const GRIP_FAILS: &str = "the gripper does not take parts";

    fn stuck_words(n: usize, v: bool) -> String {
        format!("$IN[{n}] stuck at {}", if v { "TRUE" } else { "FALSE" })
    }
    fn jam_words(conveyor: &str) -> String {
        format!("conveyor {conveyor} jammed")
    }
    /// Conveyor `i` is jammed at `now`.
    fn jammed(&self, i: usize, now: f64) -> bool {
        self.jams.iter().any(|j| j.0 == i && j.1 > now)
    }
}

/// The parallel gripper's fingers.
#[derive(Clone, Debug, Default)]
struct Fingers {
    /// The opening between the fingers, mm.
    gap_mm: f64,
    /// Closing stopped on something the jaws cannot take.
    blocked: bool,
    /// The part slipped out of the jaws (a failed grip): they close on nothing until opened.
    slipped: bool,
}

/// The part between the jaws of a parallel gripper at `tcp` (world, mm) opened `gap` mm with
/// fingers `finger_mm` long, and its width across the jaws (along the tool's X).
fn jaw_part(parts: &[PartView], tcp: &Isometry3<f64>, gap: f64, finger_mm: f64) -> Option<(usize, f64)> {
    parts.iter().filter(|p| p.state == PartState::Free).find_map(|p| {
        let local = tcp.inverse() * p.pose;
        let c = local.translation.vector;
        let r = local.rotation.to_rotation_matrix();
        let half = p.size_mm / 2.0;
        // Half extents of the part along the tool's X and Y.
        let across = |axis: usize| match p.shape {
            PartShape::Cylinder => half.x,
            PartShape::Box => (0..3).map(|k| r[(axis, k)].abs() * half[k]).sum(),
        };
        let (hx, hy) = (across(0), across(1));
        let between = c.x.abs() < gap / 2.0 && c.y.abs() < hy.max(10.0) && c.z.abs() <= finger_mm / 2.0;
        between.then_some((p.id, hx * 2.0))
    })
}

#[derive(Clone)]
pub struct Cell {
    scenario: Scenario,
    fingers: Fingers,
    trail: Vec<(f64, Vector3<f64>)>,
    strokes: Vec<usize>,
    pen_down: bool,
    faults: Faults,
    door_open: bool,
    estop: bool,
    beams: Vec<Beam>,
    type_beams: Vec<Beam>,
    physics: PhysicsCell,
    shape: RobotShape,
    /// The TCP one tick ago (world, mm): a released part leaves with the TCP's velocity.
    prev_tcp: Isometry3<f64>,
    dt: f64,
    /// The axes and base the robot's collision bodies stand at (they move only when these do).
    robot_at: Option<([f64; 6], Isometry3<f64>)>,
}

impl Cell {
    /// Builds the cell around a robot standing at `q` (degrees) with its TCP at `tcp` (world, mm).
    pub fn new(sc: &Scenario, model: &RobotModel, robroot: &Isometry3<f64>, q: &[f64; 6], tcp: Isometry3<f64>) -> Self {
        let g = &model.geometry;
        let shape = RobotShape {
            upper_arm_len: g.c2,
            forearm_offset: g.a2,
            forearm_len: g.c3,
            wrist_len: g.c4,
            // The tool body ends where the parallel gripper's fingers begin (they do not collide).
            tool_len: match &sc.gripper {
                GripperSpec::Parallel { finger_mm, .. } => sc.tool.tcp.pos().norm() - finger_mm / 2.0 + RobotShape::CUP_GAP_MM,
                _ => sc.tool.tcp.pos().norm(),
            },
            tool_radius: sc.tool.radius_mm,
        };
        let physics = PhysicsCell::new(sc, &Self::collision_poses(model, robroot, q), &shape);
        let fingers = match &sc.gripper {
            GripperSpec::Parallel { stroke_mm, .. } => Fingers { gap_mm: *stroke_mm, blocked: false, slipped: false },
            _ => Fingers::default(),
        };
        Cell {
            scenario: sc.clone(),
            fingers,
            trail: Vec::new(),
            strokes: Vec::new(),
            pen_down: false,
            faults: Faults::default(),
            door_open: false,
            estop: false,
            beams: vec![Beam::default(); sc.light_barriers.len()],
            type_beams: vec![Beam::default(); sc.type_sensors.len()],
            physics,
            shape,
            prev_tcp: tcp,
            dt: sc.tick_ms as f64 / 1000.0,
            robot_at: None,
        }
    }

    /// The poses of the robot's collision bodies in the world (mm).
    fn collision_poses(model: &RobotModel, robroot: &Isometry3<f64>, q: &[f64; 6]) -> [Isometry3<f64>; 4] {
        let f = link_frames(model, q);
        [robroot * f[2], robroot * f[3], robroot * f[5], robroot * f[6]]
    }

    pub fn parts(&self) -> Vec<PartView> {
        self.physics.parts()
    }
    pub fn holding(&self) -> Option<usize> {
        self.physics.holding()
    }
    pub fn kind_of_part(&self, id: usize) -> Option<usize> {
        self.physics.kind_of_part(id)
    }
    pub fn part_types(&self) -> &[crate::sim::scenario::PartSpec] {
        self.physics.part_types()
    }
    pub fn robot_shape(&self) -> &RobotShape {
        &self.shape
    }
    pub fn fingerprint(&self) -> u64 {
        self.physics.fingerprint()
    }
    /// Parts in the cell and how many of them are awake.
    pub fn parts_awake(&self) -> (usize, usize) {
        self.physics.parts_awake()
    }

    /// Sensors to inputs: light barriers, type sensors, the gripper's part-held signal.
    pub fn read_sensors(&mut self, io: &mut Io, ev: &mut Vec<Event>) {
        let sc = &self.scenario;
        let mut changes = Vec::new();
        for (i, b) in sc.light_barriers.iter().enumerate() {
            let Some(ci) = sc.conveyors.iter().position(|c| c.name == b.conveyor) else { continue };
            let seen = self.physics.beam_blocked(ci, b.at_mm, b.height_mm).then_some(1);
            changes.push((b.input, self.beams[i].read(seen) == 1));
        }
        for (i, t) in sc.type_sensors.iter().enumerate() {
            let Some(ci) = sc.conveyors.iter().position(|c| c.name == t.conveyor) else { continue };
            let seen = self
                .physics
                .part_in_beam(ci, t.at_mm, t.height_mm)
                .and_then(|id| self.physics.kind_of_part(id))
                .map(|k| t.codes.get(&self.physics.part_types()[k].name).copied().unwrap_or(0));
            let code = self.type_beams[i].read(seen);
            for (bit, n) in (t.inputs.0..=t.inputs.1).enumerate() {
                changes.push((n, code >> bit & 1 == 1));
            }
        }
        for sn in &sc.sensors {
            let (at, dir) = (Vector3::new(sn.at.x, sn.at.y, sn.at.z), Vector3::new(sn.direction.x, sn.direction.y, sn.direction.z));
            let d = self.physics.part_distance(&at, &dir, sn.range_mm);
            match sn.kind {
                SensorKind::Presence { input } => changes.push((input, d.is_some())),
                SensorKind::Distance { analog } => io.analog_in[analog] = d.map_or(1.0, |d| (d / sn.range_mm).clamp(0.0, 1.0)),
            }
        }
        match &sc.gripper {
            GripperSpec::Vacuum { held_input: Some(n), .. } => changes.push((*n, self.physics.holding().is_some())),
            GripperSpec::Parallel { open_input, closed_input, stroke_mm, .. } => {
                let gap = self.fingers.gap_mm;
                if let Some(n) = open_input {
                    changes.push((*n, gap >= stroke_mm - 1e-6));
                }
                if let Some(n) = closed_input {
                    changes.push((*n, gap <= 1e-6));
                }
            }
            _ => {}
        }
        if let Some(n) = sc.door_input {
            changes.push((n, !self.door_open));
        }
        if let Some(n) = sc.estop_input {
            changes.push((n, !self.estop));
        }
        for (i, b) in sc.bins.iter().enumerate() {
            if let (Some(n), Some(cap)) = (b.full_input, b.capacity) {
                changes.push((n, self.physics.in_bin(i) >= cap));
            }
        }
        // A stuck sensor reads what it is stuck at.
        let now = self.physics.time_s();
        self.faults.stuck.retain(|f| f.2 > now);
        for (n, v, _) in &self.faults.stuck {
            changes.retain(|c| c.0 != *n);
            changes.push((*n, *v));
        }
        for (n, v) in changes {
            if io.inputs[n] != v {
                io.inputs[n] = v;
                ev.push(Event::Input { n, value: v });
            }
        }
    }

    /// Outputs to actuators: conveyor motors, the vacuum gripper at the TCP (world, mm).
    pub fn drive_actuators(&mut self, io: &Io, tcp: &Isometry3<f64>, ev: &mut Vec<Event>) {
        let sc = &self.scenario;
        let now = self.physics.time_s();
        self.faults.jams.retain(|j| j.1 > now);
        for (i, c) in sc.conveyors.iter().enumerate() {
            let jammed = self.faults.jammed(i, now);
            let on = io.outputs[c.motor_output] && !jammed;
            let back = c.reverse_output.is_some_and(|n| io.outputs[n]);
            self.physics.set_belt(
                i,
                if !on {
                    0
                } else if back {
                    -1
                } else {
                    1
                },
            );
        }
        let active = |until: Option<f64>| until.is_some_and(|t| t > now);
        let lost = active(self.faults.vacuum_lost_until);
        let fails = active(self.faults.grip_fails_until);
        let v = (tcp.translation.vector - self.prev_tcp.translation.vector) / self.dt;
        match sc.gripper.clone() {
            GripperSpec::Vacuum { output, reach_mm, .. } => {
                let vacuum = io.outputs[output] && !lost;
                if vacuum && !fails && self.physics.holding().is_none() {
                    if let Some(id) = self.physics.grip(tcp, reach_mm) {
                        ev.push(Event::PartPicked { id });
                    }
                } else if !vacuum && let Some(id) = self.physics.holding().and_then(|_| self.physics.release(v)) {
                    ev.push(Event::PartReleased { id });
                }
            }
            GripperSpec::Parallel { close_output, open_output, stroke_mm, stroke_s, finger_mm, .. } => {
                let (close, open) = (io.outputs[close_output], io.outputs[open_output]);
                let step = stroke_mm / stroke_s * self.dt;
                let f = &mut self.fingers;
                if open && !close {
                    f.blocked = false;
                    f.slipped = false;
                    if let Some(id) = self.physics.holding().and_then(|_| self.physics.release(v)) {
                        ev.push(Event::PartReleased { id });
                    }
                    f.gap_mm = (f.gap_mm + step).min(stroke_mm);
                } else if close && !open && !f.blocked && self.physics.holding().is_none() {
                    // Closing: the fingers stop on a part between the jaws and hold it.
                    let next = (f.gap_mm - step).max(0.0);
                    match jaw_part(&self.physics.parts(), tcp, f.gap_mm, finger_mm) {
                        // A failed grip: the part slips out of the jaws, which close on nothing.
                        Some(_) if fails || f.slipped => {
                            f.slipped = true;
                            f.gap_mm = next;
                        }
                        Some((_, width)) if width > f.gap_mm + 1e-6 => f.blocked = true,
                        Some((id, width)) if width >= next => {
                            f.gap_mm = width;
                            if self.physics.attach(id, tcp) {
                                ev.push(Event::PartPicked { id });
                            } else {
                                f.blocked = true;
                            }
                        }
                        _ => f.gap_mm = next,
                    }
                }
            }
            GripperSpec::Pen => {
                let tip = tcp.translation.vector;
                let touching = sc.tables.iter().filter(|t| t.drawing).any(|t| {
                    let (sx, sy, sz) = t.size_mm;
                    let rel = nalgebra::UnitQuaternion::from_axis_angle(&Vector3::z_axis(), -t.yaw_deg.to_radians())
                        * (tip - Vector3::new(t.center.x, t.center.y, 0.0));
                    rel.x.abs() <= sx / 2.0 && rel.y.abs() <= sy / 2.0 && (tip.z - (t.center.z + sz)).abs() <= 1.0
                });
                self.pen_down = touching;
                if touching {
                    let stroke_goes_on = self.trail.last().is_some_and(|(t, _)| now - t <= 2.0 * self.dt);
                    if !stroke_goes_on {
                        self.strokes.push(self.trail.len());
                    }
                    self.trail.push((now, tip));
                }
            }
        }
    }

    /// The parallel gripper's opening, mm (None for another tool).
    pub fn finger_gap(&self) -> Option<f64> {
        matches!(self.scenario.gripper, GripperSpec::Parallel { .. }).then_some(self.fingers.gap_mm)
    }
    /// The pen's trail: (time, tip position) in the order drawn, and where each stroke begins.
    pub fn trail(&self) -> (&[(f64, Vector3<f64>)], &[usize]) {
        (&self.trail, &self.strokes)
    }
    /// The pen touches a drawing table now.
    pub fn pen_down(&self) -> bool {
        self.pen_down
    }

    /// The safety gate, as its door switch reports it.
    pub fn set_door(&mut self, open: bool) {
        self.door_open = open;
    }
    /// The E-STOP circuit, as `estop_input` reports it.
    pub fn set_estop(&mut self, pressed: bool) {
        self.estop = pressed;
    }

    /// A fault of the cell, lasting until `until_s` (seconds of simulated time). Returns a
    /// description for the event log; None for a fault that is not the cell's.
    pub fn inject(&mut self, kind: &FaultKind, until_s: f64) -> Option<String> {
        let sc = &self.scenario;
        Some(match kind {
            FaultKind::SensorStuck { input, value } => {
                self.faults.stuck.retain(|f| f.0 != *input);
                self.faults.stuck.push((*input, *value, until_s));
                Faults::stuck_words(*input, *value)
            }
            FaultKind::VacuumLost => {
                self.faults.vacuum_lost_until = Some(until_s);
                Faults::VACUUM_LOST.into()
            }
            FaultKind::GripFails => {
                self.faults.grip_fails_until = Some(until_s);
                Faults::GRIP_FAILS.into()
            }
            FaultKind::ConveyorJam { conveyor } => {
                let i = sc.conveyors.iter().position(|c| &c.name == conveyor)?;
                self.faults.jams.push((i, until_s));
                Faults::jam_words(conveyor)
            }
            FaultKind::UnexpectedPart { part_type } => {
                let k = self.physics.part_types().iter().position(|t| &t.name == part_type)?;
                self.physics.force_next_kind(k);
                format!("the next part is a {part_type}")
            }
            FaultKind::EmergencyStop => return None,
        })
    }

    /// The faults in force now, in words (the E-STOP is the controller's).
    pub fn faults_in_force(&self) -> Vec<String> {
        let now = self.physics.time_s();
        let mut out = Vec::new();
        for (n, v, until) in &self.faults.stuck {
            if *until > now {
                out.push(Faults::stuck_words(*n, *v));
            }
        }
        if self.faults.vacuum_lost_until.is_some_and(|t| t > now) {
            out.push(Faults::VACUUM_LOST.into());
        }
        if self.faults.grip_fails_until.is_some_and(|t| t > now) {
            out.push(Faults::GRIP_FAILS.into());
        }
        for (i, until) in &self.faults.jams {
            if *until > now {
                out.push(Faults::jam_words(&self.scenario.conveyors[*i].name));
            }
        }
        out
    }

    /// Each conveyor's state for outside eyes: (running, jammed), in the scenario's order.
    pub fn conveyor_states(&self, io: &Io) -> Vec<(bool, bool)> {
        let now = self.physics.time_s();
        (self.scenario.conveyors.iter().enumerate())
            .map(|(i, c)| {
                let jammed = self.faults.jammed(i, now);
                (io.outputs[c.motor_output] && !jammed, jammed)
            })
            .collect()
    }

    /// Moves the robot's collision bodies to the axes `q`.
    pub fn move_robot(&mut self, model: &RobotModel, robroot: &Isometry3<f64>, q: &[f64; 6]) {
        // A robot standing still: its bodies' next poses are already these (rapier keeps them).
        if self.robot_at.is_some_and(|(at, base)| at == *q && base == *robroot) {
            return;
        }
        self.physics.set_robot(&Self::collision_poses(model, robroot, q));
        self.robot_at = Some((*q, *robroot));
    }

    /// One physics step, the held part following the TCP.
    pub fn step(&mut self, tcp: Isometry3<f64>) -> PhysicsReport {
        let report = self.physics.step(&tcp);
        self.prev_tcp = tcp;
        report
    }
}
