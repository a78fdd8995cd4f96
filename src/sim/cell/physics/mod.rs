//! The cell's rigid-body world (rapier, metres, Z up): floor, conveyors that move parts through
//! the contact, parts, the vacuum gripper, light barriers, bins and the robot's links.

mod convert;

use nalgebra::{Isometry3, Translation3, UnitQuaternion, Vector3};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rapier3d::prelude::*;

use self::convert::{iso_mm, pose_mm, to_mm, vec_mm};
use crate::sim::scenario::{BinSpec, PartShape, PartSource, PartSpec, Scenario};

const KIND_ENV: u128 = 1;
const KIND_BELT: u128 = 2;
const KIND_PART: u128 = 3;
const KIND_ROBOT: u128 = 4;

fn tag(kind: u128, index: usize) -> u128 {
    kind | ((index as u128) << 8)
}
fn kind_of(tag: u128) -> u128 {
    tag & 0xff
}
fn index_of(tag: u128) -> usize {
    (tag >> 8) as usize
}

/// Sets the belt's tangent velocity on every contact with it: the conveyor drives parts
/// through the contact, not by moving anything.
#[derive(Clone)]
struct BeltHooks {
    /// Velocity of each conveyor's belt surface, m/s, world frame.
    belt_velocity: Vec<Vector>,
}

impl PhysicsHooks for BeltHooks {
    fn modify_solver_contacts(&self, ctx: &mut ContactModificationContext) {
        let t1 = ctx.colliders.get(ctx.collider1).map_or(0, |c| c.user_data);
        let t2 = ctx.colliders.get(ctx.collider2).map_or(0, |c| c.user_data);
        let (belt, sign) = if kind_of(t1) == KIND_BELT {
            (index_of(t1), 1.0)
        } else if kind_of(t2) == KIND_BELT {
            (index_of(t2), -1.0)
        } else {
            return;
        };
        let v = self.belt_velocity.get(belt).copied().unwrap_or(Vector::ZERO) * sign;
        if let Some(m) = ctx.rigid_mut() {
            for c in m.solver_contacts.iter_mut() {
                c.tangent_velocity = v;
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartState {
    Free,
    Held,
    Delivered,
    /// Taken out of the cell by a bin's drain.
    Drained,
}

#[derive(Clone)]
struct Part {
    body: RigidBodyHandle,
    half_mm: Vector3<f64>,
    state: PartState,
    /// Index into the cell's part types.
    kind: usize,
    shape: PartShape,
    /// The bin it is counted in.
    bin: Option<usize>,
}

/// A bin as the physics counts parts in it.
#[derive(Clone)]
struct Bin {
    name: String,
    /// Inner lower and upper corners (world, mm).
    lo: Vector3<f64>,
    hi: Vector3<f64>,
    drain_s: Option<f64>,
    capacity: Option<u32>,
}

#[derive(Clone)]
struct Conveyor {
    dir: Vector3<f64>,
    speed_mm_s: f64,
    from: Vector3<f64>,
    half_width_mm: f64,
    len_mm: f64,
}

impl Conveyor {
    /// Is `c` (world, mm) over the belt, at most `above` mm over its top?
    fn carries(&self, c: &Vector3<f64>, above: f64) -> bool {
        let rel = c - self.from;
        let s = rel.dot(&self.dir);
        let side = (rel - self.dir * s).xy().norm();
        s > -10.0 && s < self.len_mm + 10.0 && side < self.half_width_mm + 10.0 && rel.z > -10.0 && rel.z < above
    }
}

#[derive(Clone)]
struct Spawner {
    conveyor: usize,
    next_s: f64,
    left: u32,
    rng: StdRng,
    spec: crate::sim::scenario::SpawnerSpec,
    /// The part types it draws from (indices into the cell's types) with their weights; a
    /// sequence has them in order.
    kinds: Vec<(usize, f64)>,
    sequence: bool,
    spawned: usize,
    next_kind: Option<usize>,
}

/// What one step of the world reports.
#[derive(Clone, Debug, Default)]
pub struct PhysicsReport {
    pub spawned: Vec<usize>,
    pub delivered: Vec<(usize, String)>,
    /// Parts a bin's drain took out.
    pub drained: Vec<usize>,
    /// New contacts of a robot link with something in the cell: (link name, what it touched).
    pub collisions: Vec<(String, String)>,
}

/// A part as the app draws it.
#[derive(Clone, Debug)]
pub struct PartView {
    pub id: usize,
    /// Pose in the world, mm.
    pub pose: Isometry3<f64>,
    pub size_mm: Vector3<f64>,
    pub state: PartState,
    /// Index into [`PhysicsCell::part_types`].
    pub kind: usize,
    pub shape: PartShape,
}

/// Names of the robot's collision bodies, in the order of [`PhysicsCell::set_robot`]'s poses.
pub const LINK_NAMES: [&str; 4] = ["upper arm (A2)", "forearm (A3)", "wrist (A5)", "tool"];

pub struct PhysicsCell {
    world: PhysicsWorld,
    hooks: BeltHooks,
    conveyors: Vec<Conveyor>,
    /// Each belt's direction: 1 forward, -1 backward, 0 stopped.
    belt_running: Vec<i8>,
    spawners: Vec<Spawner>,
    part_types: Vec<PartSpec>,
    parts: Vec<Part>,
    robot_bodies: Vec<RigidBodyHandle>,
    robot_colliders: Vec<ColliderHandle>,
    env_names: Vec<String>,
    belt_names: Vec<String>,
    bins: Vec<Bin>,
    /// Parts to take out of a drained bin: (part, when).
    draining: Vec<(usize, f64)>,
    /// An unexpected part: the type of the next one spawned.
    forced_kind: Option<usize>,
    /// Parts there from the start (stacks), reported as spawned by the first step.
    initial: Vec<usize>,
    held: Option<(usize, Isometry3<f64>)>,
    touching: Vec<(usize, u128)>,
    time_s: f64,
    dt: f64,
}

/// A copy that runs on exactly as the original (the replay viewer's keyframes). rapier's
/// pipelines hold only workspace buffers, so the copy gets fresh ones; everything a step
/// reads (bodies, colliders, islands, the broad and narrow phases with their contacts) is cloned.
impl Clone for PhysicsCell {
    fn clone(&self) -> Self {
        let w = &self.world;
        let world = PhysicsWorld {
            gravity: w.gravity,
            integration_parameters: w.integration_parameters,
            islands: w.islands.clone(),
            broad_phase: w.broad_phase.clone(),
            narrow_phase: w.narrow_phase.clone(),
            bodies: w.bodies.clone(),
            colliders: w.colliders.clone(),
            impulse_joints: w.impulse_joints.clone(),
            multibody_joints: w.multibody_joints.clone(),
            soft_bodies: w.soft_bodies.clone(),
            ccd_solver: w.ccd_solver.clone(),
            ..PhysicsWorld::default()
        };
        PhysicsCell {
            world,
            hooks: self.hooks.clone(),
            conveyors: self.conveyors.clone(),
            belt_running: self.belt_running.clone(),
            spawners: self.spawners.clone(),
            part_types: self.part_types.clone(),
            parts: self.parts.clone(),
            robot_bodies: self.robot_bodies.clone(),
            robot_colliders: self.robot_colliders.clone(),
            env_names: self.env_names.clone(),
            belt_names: self.belt_names.clone(),
            bins: self.bins.clone(),
            draining: self.draining.clone(),
            forced_kind: self.forced_kind,
            initial: self.initial.clone(),
            held: self.held,
            touching: self.touching.clone(),
            time_s: self.time_s,
            dt: self.dt,
        }
    }
}

fn cuboid_mm(hx: f64, hy: f64, hz: f64) -> ColliderBuilder {
    ColliderBuilder::cuboid((hx / 1000.0) as f32, (hy / 1000.0) as f32, (hz / 1000.0) as f32)
}

impl PhysicsCell {
    /// Builds the world from a scenario. `robot_links` are the poses of the robot's collision
    /// bodies (world, mm) and `tool_len_mm` the tool body length, both at the start position.
    pub fn new(sc: &Scenario, robot_links: &[Isometry3<f64>; 4], robot_dims: &RobotShape) -> Self {
        let dt = sc.tick_ms as f64 / 1000.0;
        let mut world = PhysicsWorld::new();
        world.gravity = Vector::new(0.0, 0.0, -9.81);
        world.integration_parameters.dt = dt as f32;
        // rapier's soft contacts (30 Hz between bodies) let a stack of 50 mm parts sink 3 mm into
        // each other under the weight above. Stiffer, as between fixed bodies, with the same
        // damping.
        world.integration_parameters.contact_softness.natural_frequency = 60.0;
        let mut env_names = Vec::new();
        // Floor: top at z = 0.
        add_fixed(&mut world, &mut env_names, "floor".into(), Isometry3::translation(0.0, 0.0, -25.0), cuboid_mm(5000.0, 5000.0, 25.0));

        let mut conveyors = Vec::new();
        let mut belt_names = Vec::new();
        for c in &sc.conveyors {
            let (from, to) = (Vector3::new(c.from.x, c.from.y, c.from.z), Vector3::new(c.to.x, c.to.y, c.to.z));
            let d = to - from;
            let len = d.norm();
            let dir = d / len;
            let yaw = dir.y.atan2(dir.x);
            let rot = UnitQuaternion::from_axis_angle(&Vector3::z_axis(), yaw);
            let mid = (from + to) / 2.0;
            let top = from.z;
            let hw = c.width_mm / 2.0;
            // The belt and its frame, floor to belt top, as one body; the belt index goes into the tag.
            let belt_idx = conveyors.len();
            let iso = Isometry3::from_parts(Translation3::new(mid.x, mid.y, top / 2.0), rot);
            belt_names.push(format!("conveyor {}", c.name));
            let body = world.insert_body(RigidBodyBuilder::fixed().pose(pose_mm(&iso)));
            let col = cuboid_mm(len / 2.0, hw, top / 2.0)
                .user_data(tag(KIND_BELT, belt_idx))
                .friction(0.8)
                .active_hooks(ActiveHooks::MODIFY_SOLVER_CONTACTS);
            world.colliders.insert_with_parent(col, body, &mut world.bodies);
            // Side rails.
            for side in [-1.0, 1.0] {
                let off = rot * Vector3::new(0.0, side * (hw + 5.0), 0.0);
                let iso = Isometry3::from_parts(Translation3::new(mid.x + off.x, mid.y + off.y, top + 15.0 - 10.0), rot);
                add_fixed(&mut world, &mut env_names, format!("conveyor {} rail", c.name), iso, cuboid_mm(len / 2.0, 5.0, 25.0));
            }
            // Guide rails over the belt: single file.
            if let Some(g) = c.guide_mm {
                for side in [-1.0, 1.0] {
                    let off = rot * Vector3::new(0.0, side * (g / 2.0 + 3.0), 0.0);
                    let iso = Isometry3::from_parts(Translation3::new(mid.x + off.x, mid.y + off.y, top + 20.0), rot);
                    add_fixed(&mut world, &mut env_names, format!("conveyor {} guide", c.name), iso, cuboid_mm(len / 2.0, 3.0, 15.0));
                }
            }
            if c.end_stop {
                let off = rot * Vector3::new(len / 2.0 + 5.0, 0.0, 0.0);
                let iso = Isometry3::from_parts(Translation3::new(mid.x + off.x, mid.y + off.y, top + 30.0 - 15.0), rot);
                add_fixed(&mut world, &mut env_names, format!("conveyor {} end stop", c.name), iso, cuboid_mm(5.0, hw + 10.0, 45.0));
            }
            conveyors.push(Conveyor { dir, speed_mm_s: c.speed_mm_s, from, half_width_mm: hw, len_mm: len });
        }
        for t in &sc.tables {
            let (sx, sy, sz) = t.size_mm;
            let iso = Isometry3::from_parts(
                Translation3::new(t.center.x, t.center.y, t.center.z + sz / 2.0),
                UnitQuaternion::from_axis_angle(&Vector3::z_axis(), t.yaw_deg.to_radians()),
            );
            add_fixed(&mut world, &mut env_names, format!("table {}", t.name), iso, cuboid_mm(sx / 2.0, sy / 2.0, sz / 2.0));
        }
        for p in &sc.pallets {
            let (iso, size) = p.plate();
            add_fixed(&mut world, &mut env_names, format!("pallet {}", p.name), iso, cuboid_mm(size.x / 2.0, size.y / 2.0, size.z / 2.0));
        }
        let mut bins = Vec::new();
        for b in &sc.bins {
            add_bin(&mut world, &mut env_names, b);
            let (sx, sy, sz) = b.size_mm;
            let c = Vector3::new(b.center.x, b.center.y, b.center.z);
            let wall = 10.0;
            bins.push(Bin {
                name: b.name.clone(),
                lo: c + Vector3::new(-sx / 2.0 + wall, -sy / 2.0 + wall, 0.0),
                hi: c + Vector3::new(sx / 2.0 - wall, sy / 2.0 - wall, sz),
                drain_s: b.drain_s,
                capacity: b.capacity,
            });
        }
        // Robot collision bodies: kinematic, reporting contacts with fixed bodies too.
        let mut robot_bodies = Vec::new();
        let mut robot_colliders = Vec::new();
        for (i, iso) in robot_links.iter().enumerate() {
            let body = world.insert_body(RigidBodyBuilder::kinematic_position_based().pose(pose_mm(iso)));
            let shape = robot_dims.collider(i);
            let col = shape
                .user_data(tag(KIND_ROBOT, i))
                .active_collision_types(ActiveCollisionTypes::default() | ActiveCollisionTypes::KINEMATIC_FIXED);
            robot_colliders.push(world.colliders.insert_with_parent(col, body, &mut world.bodies));
            robot_bodies.push(body);
        }
        let part_types = sc.all_part_types();
        let kind_of_name = |n: &str| part_types.iter().position(|t| t.name == n).unwrap_or(0);
        let spawners = sc
            .spawners
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (kinds, sequence) = match &s.parts {
                    PartSource::One(p) => (vec![(part_types.iter().position(|t| t == p).unwrap_or(0), 1.0)], false),
                    PartSource::Mix(m) => (m.iter().map(|(n, w)| (kind_of_name(n), *w)).collect(), false),
                    PartSource::Sequence(q) => (q.iter().map(|n| (kind_of_name(n), 1.0)).collect(), true),
                };
                Spawner {
                    conveyor: sc.conveyors.iter().position(|c| c.name == s.conveyor).unwrap_or(0),
                    next_s: s.first_s,
                    left: s.count,
                    rng: StdRng::seed_from_u64(sc.seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i as u64 + 1))),
                    spec: s.clone(),
                    kinds,
                    sequence,
                    spawned: 0,
                    next_kind: None,
                }
            })
            .collect();
        let n_conv = conveyors.len();
        let mut cell = PhysicsCell {
            world,
            hooks: BeltHooks { belt_velocity: vec![Vector::ZERO; n_conv] },
            conveyors,
            belt_running: vec![0; n_conv],
            spawners,
            part_types,
            parts: Vec::new(),
            robot_bodies,
            robot_colliders,
            env_names,
            belt_names,
            bins,
            draining: Vec::new(),
            forced_kind: None,
            held: None,
            touching: Vec::new(),
            time_s: 0.0,
            dt,
            initial: Vec::new(),
        };
        // Stacks: parts one on the other from the start, a tenth of a millimetre apart.
        for st in &sc.stacks {
            let Some(kind) = cell.part_types.iter().position(|t| t.name == st.part_type) else { continue };
            let h = cell.part_types[kind].size_mm.2;
            for k in 0..st.count {
                let z = st.at.z + h / 2.0 + f64::from(k) * (h + 0.1) + 0.05;
                let iso = Isometry3::from_parts(
                    Translation3::new(st.at.x, st.at.y, z),
                    UnitQuaternion::from_axis_angle(&Vector3::z_axis(), st.yaw_deg.to_radians()),
                );
                let id = cell.add_part(kind, &iso);
                cell.initial.push(id);
            }
        }
        cell
    }
}

fn add_fixed(world: &mut PhysicsWorld, names: &mut Vec<String>, name: String, iso: Isometry3<f64>, c: ColliderBuilder) {
    let idx = names.len();
    names.push(name);
    let body = world.insert_body(RigidBodyBuilder::fixed().pose(pose_mm(&iso)));
    world.colliders.insert_with_parent(c.user_data(tag(KIND_ENV, idx)).friction(0.8), body, &mut world.bodies);
}

fn add_bin(world: &mut PhysicsWorld, names: &mut Vec<String>, b: &BinSpec) {
    let (sx, sy, sz) = b.size_mm;
    let (cx, cy, cz) = (b.center.x, b.center.y, b.center.z);
    let w = 10.0;
    let pieces = [
        (Vector3::new(cx, cy, cz + w / 2.0), (sx / 2.0, sy / 2.0, w / 2.0)),
        (Vector3::new(cx - sx / 2.0 + w / 2.0, cy, cz + sz / 2.0), (w / 2.0, sy / 2.0, sz / 2.0)),
        (Vector3::new(cx + sx / 2.0 - w / 2.0, cy, cz + sz / 2.0), (w / 2.0, sy / 2.0, sz / 2.0)),
        (Vector3::new(cx, cy - sy / 2.0 + w / 2.0, cz + sz / 2.0), (sx / 2.0, w / 2.0, sz / 2.0)),
        (Vector3::new(cx, cy + sy / 2.0 - w / 2.0, cz + sz / 2.0), (sx / 2.0, w / 2.0, sz / 2.0)),
    ];
    for (p, (hx, hy, hz)) in pieces {
        add_fixed(world, names, format!("bin {}", b.name), Isometry3::translation(p.x, p.y, p.z), cuboid_mm(hx, hy, hz));
    }
}

impl PhysicsCell {
    pub fn time_s(&self) -> f64 {
        self.time_s
    }

    /// Every part type the cell spawns; [`PartView::kind`] indexes it.
    pub fn part_types(&self) -> &[PartSpec] {
        &self.part_types
    }

    /// Switches a conveyor's motor: forward (1), backward (-1) or off (0). A change wakes the
    /// parts.
    pub fn set_belt(&mut self, conveyor: usize, direction: i8) {
        if self.belt_running[conveyor] != direction {
            self.belt_running[conveyor] = direction;
            let c = &self.conveyors[conveyor];
            self.hooks.belt_velocity[conveyor] = vec_mm(&(c.dir * c.speed_mm_s * f64::from(direction)));
            for p in &self.parts {
                if let Some(b) = self.world.bodies.get_mut(p.body) {
                    b.wake_up(true);
                }
            }
        }
    }

    /// Is the beam across `conveyor` at `at_mm` from its start, `height_mm` above the belt, interrupted?
    pub fn beam_blocked(&self, conveyor: usize, at_mm: f64, height_mm: f64) -> bool {
        self.part_in_beam(conveyor, at_mm, height_mm).is_some()
    }

    /// The part (id) the beam across `conveyor` at `at_mm` from its start, `height_mm` above
    /// the belt, meets first.
    pub fn part_in_beam(&self, conveyor: usize, at_mm: f64, height_mm: f64) -> Option<usize> {
        let c = &self.conveyors[conveyor];
        let side = Vector3::new(-c.dir.y, c.dir.x, 0.0);
        let origin = c.from + c.dir * at_mm + Vector3::new(0.0, 0.0, height_mm) - side * (c.half_width_mm + 20.0);
        let len_m = ((c.half_width_mm + 20.0) * 2.0 / 1000.0) as f32;
        let ray = Ray::new(vec_mm(&origin), vec_mm(&(side * 1000.0)));
        let hit = |p: &Part| -> Option<f32> {
            let body = self.world.bodies.get(p.body)?;
            body.colliders()
                .iter()
                .filter_map(|h| self.world.colliders.get(*h)?.shape().cast_ray(self.world.colliders.get(*h)?.position(), &ray, len_m, true))
                .min_by(f32::total_cmp)
        };
        self.parts
            .iter()
            .enumerate()
            // Parts in bins and drained parts are out of any beam (and the list keeps them all).
            .filter(|(_, p)| matches!(p.state, PartState::Free | PartState::Held))
            .filter_map(|(i, p)| hit(p).map(|t| (i, t)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    }

    /// The next part any spawner makes is of type `kind` (a fault: an unexpected part).
    pub fn force_next_kind(&mut self, kind: usize) {
        self.forced_kind = Some(kind);
    }

    /// The distance (mm) along a beam from `at` in direction `dir` (world, mm) to the nearest
    /// part within `range_mm`.
    pub fn part_distance(&self, at: &Vector3<f64>, dir: &Vector3<f64>, range_mm: f64) -> Option<f64> {
        let ray = Ray::new(vec_mm(at), vec_mm(&(dir.normalize() * 1000.0)));
        let max = (range_mm / 1000.0) as f32;
        self.parts
            .iter()
            .filter(|p| matches!(p.state, PartState::Free | PartState::Held))
            .filter_map(|p| {
                let body = self.world.bodies.get(p.body)?;
                body.colliders()
                    .iter()
                    .filter_map(|h| {
                        let c = self.world.colliders.get(*h)?;
                        c.shape().cast_ray(c.position(), &ray, max, true)
                    })
                    .min_by(f32::total_cmp)
            })
            .min_by(f32::total_cmp)
            .map(|t| f64::from(t) * 1000.0)
    }

    /// The type (index into `part_types`) of part `id`.
    pub fn kind_of_part(&self, id: usize) -> Option<usize> {
        self.parts.get(id).map(|p| p.kind)
    }

    /// Moves the robot's collision bodies to these poses (world, mm) during the next step.
    pub fn set_robot(&mut self, links: &[Isometry3<f64>; 4]) {
        for (h, iso) in self.robot_bodies.iter().zip(links) {
            if let Some(b) = self.world.bodies.get_mut(*h) {
                b.set_next_kinematic_position(pose_mm(iso));
            }
        }
    }

    /// Vacuum on: picks the free part whose top face is under the cup at `tcp` (world, mm),
    /// within `reach_mm`. Returns the part picked, if any.
    pub fn grip(&mut self, tcp: &Isometry3<f64>, reach_mm: f64) -> Option<usize> {
        if self.held.is_some() {
            return None;
        }
        let tool_z = tcp.rotation * Vector3::z();
        let found = self.parts.iter().enumerate().find_map(|(i, p)| {
            if p.state != PartState::Free {
                return None;
            }
            let body = self.world.bodies.get(p.body)?;
            let iso = iso_mm(body.position());
            let up = iso.rotation * Vector3::z();
            if tool_z.dot(&up) > -0.9 {
                return None;
            }
            let local = iso.inverse_transform_point(&tcp.translation.vector.into());
            let h = p.half_mm;
            let across = match p.shape {
                PartShape::Box => local.x.abs() <= h.x && local.y.abs() <= h.y,
                PartShape::Cylinder => local.x.hypot(local.y) <= h.x,
            };
            let inside = across && local.z >= h.z - 3.0 && local.z <= h.z + reach_mm;
            inside.then_some((i, iso))
        })?;
        let (i, _) = found;
        self.attach(i, tcp).then_some(i)
    }

    /// Holds part `id` where it is, seen from the TCP (world, mm): it moves with the tool and
    /// never slips. False if it cannot be held (gone, held, counted).
    pub fn attach(&mut self, id: usize, tcp: &Isometry3<f64>) -> bool {
        if self.held.is_some() || self.parts.get(id).is_none_or(|p| p.state != PartState::Free) {
            return false;
        }
        let Some(b) = self.world.bodies.get_mut(self.parts[id].body) else { return false };
        let rel = tcp.inverse() * iso_mm(b.position());
        b.set_body_type(RigidBodyType::KinematicPositionBased, true);
        self.parts[id].state = PartState::Held;
        self.held = Some((id, rel));
        true
    }

    /// Vacuum off: the held part goes back to physics with the tool's velocity (mm/s, world).
    pub fn release(&mut self, velocity_mm_s: Vector3<f64>) -> Option<usize> {
        let (i, _) = self.held.take()?;
        if let Some(b) = self.world.bodies.get_mut(self.parts[i].body) {
            b.set_body_type(RigidBodyType::Dynamic, true);
            b.set_linvel(vec_mm(&velocity_mm_s), true);
        }
        self.parts[i].state = PartState::Free;
        Some(i)
    }

    pub fn holding(&self) -> Option<usize> {
        self.held.map(|(i, _)| i)
    }

    /// One tick: spawn parts, carry the held part with the TCP (world, mm), step, report.
    pub fn step(&mut self, tcp: &Isometry3<f64>) -> PhysicsReport {
        let mut report = PhysicsReport { spawned: std::mem::take(&mut self.initial), ..PhysicsReport::default() };
        self.spawn(&mut report);
        if let Some((i, rel)) = self.held
            && let Some(b) = self.world.bodies.get_mut(self.parts[i].body)
        {
            b.set_next_kinematic_position(pose_mm(&(tcp * rel)));
        }
        self.wake_parts_on_running_belts();
        self.world.step_with_events(&self.hooks, &());
        self.time_s += self.dt;
        self.check_bins(&mut report);
        self.check_robot_contacts(&mut report);
        report
    }

    /// A part of type `kind` at `iso` (world, mm), free; returns its id.
    fn add_part(&mut self, kind: usize, iso: &Isometry3<f64>) -> usize {
        let t = &self.part_types[kind];
        let (sx, sy, sz) = t.size_mm;
        let half = Vector3::new(sx / 2.0, sy / 2.0, sz / 2.0);
        let id = self.parts.len();
        let body = self.world.insert_body(RigidBodyBuilder::dynamic().pose(pose_mm(iso)).ccd_enabled(true));
        let col = match t.shape {
            PartShape::Box => cuboid_mm(half.x, half.y, half.z),
            // rapier's cylinder stands along Y: turned about X to stand along Z.
            PartShape::Cylinder => {
                ColliderBuilder::cylinder((half.z / 1000.0) as f32, (half.x / 1000.0) as f32).position(pose_mm(&Isometry3::from_parts(
                    Translation3::identity(),
                    UnitQuaternion::from_axis_angle(&Vector3::x_axis(), std::f64::consts::FRAC_PI_2),
                )))
            }
        };
        let col = col.density((t.mass_kg / t.volume_m3()) as f32).friction(0.7).user_data(tag(KIND_PART, id));
        self.world.colliders.insert_with_parent(col, body, &mut self.world.bodies);
        self.parts.push(Part { body, half_mm: half, state: PartState::Free, kind, shape: t.shape, bin: None });
        id
    }

    /// Free and delivered parts still in the cell, and how many of them are awake (what the
    /// solver pays for): (in the cell, awake).
    pub fn parts_awake(&self) -> (usize, usize) {
        let bodies: Vec<_> = self
            .parts
            .iter()
            .filter(|p| matches!(p.state, PartState::Free | PartState::Delivered))
            .filter_map(|p| self.world.bodies.get(p.body))
            .collect();
        (bodies.len(), bodies.iter().filter(|b| !b.is_sleeping()).count())
    }

    /// Parts at rest sleep and cost almost nothing; a part on a running belt must not (the belt
    /// moves it through the contact, which does not wake it). A part queued at the end stop
    /// stays awake so it follows when the part ahead is taken.
    fn wake_parts_on_running_belts(&mut self) {
        for p in self.parts.iter().filter(|p| p.state == PartState::Free) {
            let Some(b) = self.world.bodies.get_mut(p.body) else { continue };
            if !b.is_sleeping() {
                continue;
            }
            let c = to_mm(b.translation());
            if self.conveyors.iter().zip(&self.belt_running).any(|(cv, run)| *run != 0 && cv.carries(&c, p.half_mm.z * 2.0 + 20.0)) {
                b.wake_up(true);
            }
        }
    }

    fn spawn(&mut self, report: &mut PhysicsReport) {
        for si in 0..self.spawners.len() {
            let s = &mut self.spawners[si];
            if s.left == 0 || self.time_s + 1e-9 < s.next_s {
                continue;
            }
            // The next part's type: in turn for a sequence, else drawn by weight (once: it stays
            // the next one while the spot on the belt is taken).
            let kind = match s.next_kind.or(self.forced_kind) {
                Some(k) => k,
                None if s.sequence => s.kinds[s.spawned % s.kinds.len()].0,
                None if s.kinds.len() == 1 => s.kinds[0].0,
                None => {
                    let total: f64 = s.kinds.iter().map(|k| k.1).sum();
                    let mut x = s.rng.random_range(0.0..total);
                    let pick = s.kinds.iter().find(|k| {
                        x -= k.1;
                        x < 0.0
                    });
                    pick.unwrap_or(&s.kinds[s.kinds.len() - 1]).0
                }
            };
            s.next_kind = Some(kind);
            let t = &self.part_types[kind];
            let c = &self.conveyors[s.conveyor];
            let (sx, sy, sz) = t.size_mm;
            let half = Vector3::new(sx / 2.0, sy / 2.0, sz / 2.0);
            let lateral_max = (c.half_width_mm - half.y - 2.0).max(0.0).min(s.spec.lateral_jitter_mm);
            let lateral = if lateral_max > 0.0 { s.rng.random_range(-lateral_max..=lateral_max) } else { 0.0 };
            let side = Vector3::new(-c.dir.y, c.dir.x, 0.0);
            let centre = c.from + c.dir * (half.x + 20.0) + side * lateral + Vector3::new(0.0, 0.0, half.z + 0.5);
            // Wait while the spot is still taken by the last part.
            let taken = self.parts.iter().any(|p| {
                p.state == PartState::Free
                    && self.world.bodies.get(p.body).is_some_and(|b| (to_mm(b.translation()) - centre).norm() < sx.max(sy) * 1.2)
            });
            if taken {
                continue;
            }
            let yaw = c.dir.y.atan2(c.dir.x);
            let iso = Isometry3::from_parts(Translation3::from(centre), UnitQuaternion::from_axis_angle(&Vector3::z_axis(), yaw));
            let id = self.add_part(kind, &iso);
            let s = &mut self.spawners[si];
            s.left -= 1;
            s.spawned += 1;
            s.next_kind = None;
            self.forced_kind = None;
            let jitter = if s.spec.interval_jitter_s > 0.0 { s.rng.random_range(0.0..s.spec.interval_jitter_s) } else { 0.0 };
            s.next_s = self.time_s + s.spec.interval_s + jitter;
            report.spawned.push(id);
        }
    }

    /// Parts counted in bin `i` now (drained ones have left).
    pub fn in_bin(&self, i: usize) -> u32 {
        self.parts.iter().filter(|p| p.state == PartState::Delivered && p.bin == Some(i)).count() as u32
    }

    fn check_bins(&mut self, report: &mut PhysicsReport) {
        let mut counted: Vec<u32> = (0..self.bins.len()).map(|i| self.in_bin(i)).collect();
        for (id, p) in self.parts.iter_mut().enumerate().filter(|(_, p)| p.state == PartState::Free) {
            let Some(b) = self.world.bodies.get(p.body) else { continue };
            let c = to_mm(b.translation());
            if b.linvel().length() > 0.05 {
                continue;
            }
            for (bi, Bin { name, lo, hi, drain_s, capacity }) in self.bins.iter().enumerate() {
                if c.x > lo.x && c.y > lo.y && c.z > lo.z && c.x < hi.x && c.y < hi.y && c.z < hi.z {
                    if capacity.is_some_and(|cap| counted[bi] >= cap) {
                        break;
                    }
                    counted[bi] += 1;
                    p.bin = Some(bi);
                    p.state = PartState::Delivered;
                    report.delivered.push((id, name.clone()));
                    if let Some(d) = drain_s {
                        self.draining.push((id, self.time_s + d));
                    }
                    break;
                }
            }
        }
        // Drained parts leave the cell.
        let now = self.time_s;
        let (due, later): (Vec<_>, Vec<_>) = self.draining.iter().partition(|(_, t)| *t <= now + 1e-9);
        self.draining = later;
        for (id, _) in due {
            self.world.remove_body(self.parts[id].body);
            self.parts[id].state = PartState::Drained;
            report.drained.push(id);
        }
    }

    fn check_robot_contacts(&mut self, report: &mut PhysicsReport) {
        let mut now = Vec::new();
        let held_body = self.held.map(|(i, _)| self.parts[i].body);
        for (li, h) in self.robot_colliders.iter().enumerate() {
            for pair in self.world.narrow_phase.contact_pairs_with(*h) {
                let other = if pair.collider1 == *h { pair.collider2 } else { pair.collider1 };
                let Some(oc) = self.world.colliders.get(other) else { continue };
                if kind_of(oc.user_data) == KIND_ROBOT || oc.parent().is_some() && oc.parent() == held_body {
                    continue;
                }
                if pair.find_deepest_contact().is_some_and(|(_, c)| c.dist < -0.0005) {
                    now.push((li, oc.user_data));
                }
            }
        }
        for t in &now {
            if !self.touching.contains(t) {
                let what = match kind_of(t.1) {
                    KIND_PART => format!("part {}", index_of(t.1) + 1),
                    KIND_BELT => self.belt_names[index_of(t.1)].clone(),
                    _ => self.env_names.get(index_of(t.1)).cloned().unwrap_or_else(|| "cell".into()),
                };
                report.collisions.push((LINK_NAMES[t.0].to_string(), what));
            }
        }
        self.touching = now;
    }

    pub fn parts(&self) -> Vec<PartView> {
        self.parts
            .iter()
            .enumerate()
            .filter_map(|(id, p)| {
                let b = self.world.bodies.get(p.body)?;
                Some(PartView { id, pose: iso_mm(b.position()), size_mm: p.half_mm * 2.0, state: p.state, kind: p.kind, shape: p.shape })
            })
            .collect()
    }

    /// A bit-exact fingerprint of every body's pose and velocity, for determinism checks.
    pub fn fingerprint(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut mix = |x: f32| {
            h ^= x.to_bits() as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        };
        for p in &self.parts {
            if let Some(b) = self.world.bodies.get(p.body) {
                let t = b.translation();
                let r = b.rotation();
                let v = b.linvel();
                for x in [t.x, t.y, t.z, r.x, r.y, r.z, r.w, v.x, v.y, v.z] {
                    mix(x);
                }
            }
        }
        h
    }
}

/// Sizes of the robot's collision bodies, mm.
#[derive(Clone, Debug)]
pub struct RobotShape {
    pub upper_arm_len: f64,
    pub forearm_offset: f64,
    pub forearm_len: f64,
    pub wrist_len: f64,
    pub tool_len: f64,
    pub tool_radius: f64,
}

impl RobotShape {
    /// Gap between the tool body and the TCP, where the vacuum cup sits.
    pub const CUP_GAP_MM: f64 = 12.0;

    fn collider(&self, i: usize) -> ColliderBuilder {
        let mm = |x: f64, y: f64, z: f64| Vector::new((x / 1000.0) as f32, (y / 1000.0) as f32, (z / 1000.0) as f32);
        match i {
            0 => ColliderBuilder::capsule_from_endpoints(mm(0.0, 0.0, 60.0), mm(0.0, 0.0, self.upper_arm_len), 0.055),
            1 => ColliderBuilder::capsule_from_endpoints(
                mm(self.forearm_offset, 0.0, 60.0),
                mm(self.forearm_offset, 0.0, self.forearm_len - 40.0),
                0.045,
            ),
            2 => ColliderBuilder::capsule_from_endpoints(mm(0.0, 0.0, 0.0), mm(0.0, 0.0, self.wrist_len - 35.0), 0.035),
            _ => {
                let len = (self.tool_len - Self::CUP_GAP_MM).max(5.0);
                cuboid_mm(self.tool_radius, self.tool_radius, len / 2.0).translation(mm(0.0, 0.0, len / 2.0))
            }
        }
    }
}
