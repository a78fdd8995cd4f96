//! What clients on the network read: a snapshot of the cell taken from the world's read-only
//! state, the production figures kept from its events, and events as JSON.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value as Json, json};

use crate::sim::exercise::ObjectiveKind;
use crate::sim::math::Frame;
use crate::sim::orders::OrderRecord;
use crate::sim::world::{Event, ProgramState, World};

/// A pose as KRL writes it: mm and degrees.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct Pose {
    pub x: f64,
    pub y: f64,
    pub z: f64,
    pub a: f64,
    pub b: f64,
    pub c: f64,
}

impl From<Frame> for Pose {
    fn from(f: Frame) -> Pose {
        Pose { x: f.x, y: f.y, z: f.z, a: f.a, b: f.b, c: f.c }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct RobotState {
    pub axes_deg: [f64; 6],
    pub axis_speeds_deg_s: [f64; 6],
    pub tcp_world: Pose,
    /// The TCP in the program's `$BASE`.
    pub tcp_base: Pose,
    /// `T1`, `T2` or `AUT`.
    pub mode: String,
    pub override_pct: f64,
    /// `Ready`, `Running`, `Stopped`, `Halted`, `Finished` or `Faulted`.
    pub program_state: String,
    /// The program's module (file name) and the line the main run is on (else the advance run).
    pub module: String,
    pub line: u32,
    /// Messages waiting to be acknowledged.
    pub messages: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct IoState {
    /// `$IN[n]` / `$OUT[n]` that are TRUE.
    pub inputs_on: Vec<usize>,
    pub outputs_on: Vec<usize>,
    /// `$ANIN[1..32]`, `$ANOUT[1..32]`.
    pub analog_in: Vec<f64>,
    pub analog_out: Vec<f64>,
    /// Every `$IN` and `$OUT`, index 0 unused (for OPC UA and Modbus; not in JSON).
    #[serde(skip)]
    pub inputs: Vec<bool>,
    #[serde(skip)]
    pub outputs: Vec<bool>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ConveyorState {
    pub name: String,
    pub speed_mm_s: f64,
    pub running: bool,
    pub jammed: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct BinState {
    pub name: String,
    /// Part type -> parts delivered into this bin so far.
    pub parts: BTreeMap<String, u32>,
}

/// Production figures, as an OEE exercise needs them.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Production {
    /// Parts delivered into a bin.
    pub delivered: u32,
    /// Into the bin their type belongs in (the Sort objective's bins; any bin without one).
    pub good: u32,
    pub wrong_bin: u32,
    /// Parts per hour of production time (since the program first started).
    pub parts_per_hour: f64,
    /// Time between the last two deliveries (the first: from the start), s.
    pub last_cycle_s: Option<f64>,
    pub mean_cycle_s: Option<f64>,
    /// Time the program was running, and stood (stopped, halted, faulted, ended) since it first started, s.
    pub run_time_s: f64,
    pub stop_time_s: f64,
    /// run / (run + stop).
    pub availability: Option<f64>,
    /// ideal cycle x parts / run time (with the plant's `ideal_cycle_s`).
    pub performance: Option<f64>,
    /// good / delivered.
    pub quality: Option<f64>,
}

/// Keeps the production figures from the world's events, tick by tick.
#[derive(Clone, Debug, Default)]
pub struct ProductionCounter {
    figures: Production,
    /// Part type -> its bin (from a Sort objective).
    right_bin: BTreeMap<String, String>,
    ideal_cycle_s: Option<f64>,
    started_s: Option<f64>,
    last_delivery_s: Option<f64>,
    cycles: u32,
    cycle_sum_s: f64,
    /// Bin -> part type -> parts delivered there.
    bins: BTreeMap<String, BTreeMap<String, u32>>,
}

impl ProductionCounter {
    pub fn new(world: &World) -> Self {
        let sc = &world.loaded().scenario;
        let mut right_bin = BTreeMap::new();
        for o in &sc.objectives {
            if let ObjectiveKind::Sort { bins, .. } = &o.kind {
                right_bin.extend(bins.clone());
            }
        }
        ProductionCounter { right_bin, ideal_cycle_s: sc.plant.ideal_cycle_s, ..Default::default() }
    }

    /// One tick: its events and the program's state after it.
    pub fn observe(&mut self, world: &World, events: &[Event]) {
        let dt = world.dt();
        let now = world.time_s();
        let running = world.state() == ProgramState::Running;
        if running && self.started_s.is_none() {
            self.started_s = Some(now - dt);
        }
        if self.started_s.is_some() {
            if running {
                self.figures.run_time_s += dt;
            } else {
                self.figures.stop_time_s += dt;
            }
        }
        for e in events {
            if let Event::PartDelivered { id, bin, .. } = e {
                let ty = world.part_kind(*id).and_then(|k| world.part_types().get(k)).map(|t| t.name.clone()).unwrap_or_default();
                *self.bins.entry(bin.clone()).or_default().entry(ty.clone()).or_default() += 1;
                let good = match self.right_bin.get(&ty) {
                    Some(right) => right == bin,
                    None => true,
                };
                let f = &mut self.figures;
                f.delivered += 1;
                if good {
                    f.good += 1
                } else {
                    f.wrong_bin += 1
                }
                if let Some(from) = self.last_delivery_s.or(self.started_s) {
                    let c = now - from;
                    f.last_cycle_s = Some(c);
                    self.cycles += 1;
                    self.cycle_sum_s += c;
                    f.mean_cycle_s = Some(self.cycle_sum_s / self.cycles as f64);
                }
                self.last_delivery_s = Some(now);
            }
        }
    }

    /// Bin -> part type -> parts delivered there so far.
    pub fn bins(&self) -> &BTreeMap<String, BTreeMap<String, u32>> {
        &self.bins
    }

    pub fn figures(&self) -> Production {
        let mut f = self.figures.clone();
        let total = f.run_time_s + f.stop_time_s;
        f.parts_per_hour = if total > 0.0 { f.delivered as f64 * 3600.0 / total } else { 0.0 };
        f.availability = (total > 0.0).then(|| f.run_time_s / total);
        f.performance = self.ideal_cycle_s.filter(|_| f.run_time_s > 0.0).map(|ideal| ideal * f.delivered as f64 / f.run_time_s);
        f.quality = (f.delivered > 0).then(|| f.good as f64 / f.delivered as f64);
        f
    }
}

/// Everything a client may read, at one tick.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Snapshot {
    pub cell: String,
    pub time_s: f64,
    pub tick: u64,
    pub robot: RobotState,
    pub io: IoState,
    pub conveyors: Vec<ConveyorState>,
    pub bins: Vec<BinState>,
    /// Faults in force, in words.
    pub faults: Vec<String>,
    pub production: Production,
    pub orders: Vec<OrderRecord>,
}

impl Snapshot {
    /// Reads the world. `prev_axes` (one tick before, with its time) gives the axis speeds.
    pub fn take(world: &World, cell: &str, prev_axes: Option<([f64; 6], f64)>, production: &ProductionCounter) -> Snapshot {
        let sc = &world.loaded().scenario;
        let axes = world.axes_deg();
        let mut speeds = [0.0; 6];
        if let Some((q, t)) = prev_axes
            && world.time_s() > t
        {
            for i in 0..6 {
                speeds[i] = (axes[i] - q[i]) / (world.time_s() - t);
            }
        }
        let tcp = world.tcp_world();
        let base = match world.variable("$BASE") {
            Some(crate::sim::krl::value::Value::Struct(f)) => f.to_frame(),
            _ => None,
        }
        .unwrap_or(Frame::NULL);
        let tcp_base = base.to_iso().inverse() * tcp;
        let c = world.controller();
        let (module, line) = match c.main_run_pointer() {
            Some((m, l)) => (m, l),
            None => c.advance_pointer(),
        };
        let module =
            module.unwrap_or_else(|| world.loaded().src_path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default());
        let io = &world.io;
        let on = |v: &[bool]| v.iter().enumerate().skip(1).filter(|(_, b)| **b).map(|(i, _)| i).collect::<Vec<_>>();
        let states = world.conveyor_states();
        let bins = (sc.bins.iter())
            .map(|b| BinState { name: b.name.clone(), parts: production.bins().get(&b.name).cloned().unwrap_or_default() })
            .collect();
        Snapshot {
            cell: cell.to_string(),
            time_s: world.time_s(),
            tick: world.tick(),
            robot: RobotState {
                axes_deg: axes,
                axis_speeds_deg_s: speeds,
                tcp_world: Frame::from_iso(&tcp).into(),
                tcp_base: Frame::from_iso(&tcp_base).into(),
                mode: format!("{:?}", world.mode()),
                override_pct: world.override_pct(),
                program_state: format!("{:?}", world.state()),
                module,
                line,
                messages: c.to_acknowledge().to_vec(),
            },
            io: IoState {
                inputs_on: on(&io.inputs),
                outputs_on: on(&io.outputs),
                analog_in: io.analog_in[1..].to_vec(),
                analog_out: io.analog_out[1..].to_vec(),
                inputs: io.inputs.clone(),
                outputs: io.outputs.clone(),
            },
            conveyors: (sc.conveyors.iter().zip(states))
                .map(|(c, (running, jammed))| ConveyorState { name: c.name.clone(), speed_mm_s: c.speed_mm_s, running, jammed })
                .collect(),
            bins,
            faults: world.faults_in_force(),
            production: production.figures(),
            orders: world.orders().to_vec(),
        }
    }
}

/// An event as the network sees it (`/events`), or None for the window's own (file writes).
pub fn event_json(e: &Event, time_s: f64) -> Option<Json> {
    let body = match e {
        Event::Message(m) => json!({"type": "message", "level": format!("{:?}", m.level), "text": m.text, "line": m.line}),
        Event::Output { n, value, line } => json!({"type": "output", "n": n, "value": value, "line": line}),
        Event::Input { n, value } => json!({"type": "input", "n": n, "value": value}),
        Event::State(s) => json!({"type": "state", "state": format!("{s:?}")}),
        Event::MotionStarted { line } => json!({"type": "motion_started", "line": line}),
        Event::MotionDone { line } => json!({"type": "motion_done", "line": line}),
        Event::PartSpawned { id, kind } => json!({"type": "part_spawned", "id": id, "kind": kind}),
        Event::PartDrained { id } => json!({"type": "part_drained", "id": id}),
        Event::PartDelivered { id, bin, total } => json!({"type": "part_delivered", "id": id, "bin": bin, "total": total}),
        Event::PartPicked { id } => json!({"type": "part_picked", "id": id}),
        Event::PartReleased { id } => json!({"type": "part_released", "id": id}),
        Event::Collision { link, with } => json!({"type": "collision", "link": link, "with": with}),
        Event::Fault { what } => json!({"type": "fault", "what": what}),
        Event::Order { id, stage } => json!({"type": "order", "id": id, "stage": format!("{stage:?}")}),
        Event::WriteFile { .. } => return None,
    };
    let mut body = body;
    body["time_s"] = json!((time_s * 1000.0).round() / 1000.0);
    Some(body)
}
