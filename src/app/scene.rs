//! The 3D cell: static geometry from the scenario, the robot's links and the parts,
//! kept in step with the simulation.

use bevy::prelude::*;
use nalgebra::Vector3;

use super::Sim;
use super::convert::{self, cuboid, offset};
use crate::sim::cell::physics::PartState;
use crate::sim::scenario::{GripperSpec, PartShape, SensorKind, colour_rgb};

/// A frame of the arm (see `kinematics::link_frames`), 0 = base .. 6 = flange.
#[derive(Component)]
pub struct RobotLink(pub usize);

/// A part of the cell, by its id in the simulation.
#[derive(Component)]
pub struct PartEntity(pub usize);

/// A light barrier's beam, by its index in the scenario.
#[derive(Component)]
pub struct Beam(pub usize);

/// Where a beam crosses conveyor `c`, `at_mm` along it and `height_mm` above the belt: its
/// local Y runs across the belt.
fn beam_frame(c: &crate::sim::scenario::ConveyorSpec, at_mm: f64, height_mm: f64) -> Transform {
    let from = Vector3::new(c.from.x, c.from.y, c.from.z);
    let d = Vector3::new(c.to.x - c.from.x, c.to.y - c.from.y, 0.0).normalize();
    let p = from + d * at_mm + Vector3::new(0.0, 0.0, height_mm);
    Transform::from_translation(convert::pos(&p)).with_rotation(Quat::from_rotation_y(d.y.atan2(d.x) as f32))
}

/// The safety gate's door.
#[derive(Component)]
pub struct Door;

/// Half the side of the square fence around the robot: beyond every fixture of the cell.
fn fence_half_size(sc: &crate::sim::scenario::Scenario) -> f64 {
    let mut r: f64 = 1100.0;
    for c in &sc.conveyors {
        r = r.max(c.from.x.abs()).max(c.from.y.abs()).max(c.to.x.abs()).max(c.to.y.abs());
    }
    for b in &sc.bins {
        r = r.max(b.center.x.abs() + b.size_mm.0 / 2.0).max(b.center.y.abs() + b.size_mm.1 / 2.0);
    }
    for t in &sc.tables {
        r = r.max(t.center.x.abs() + t.size_mm.0 / 2.0).max(t.center.y.abs() + t.size_mm.1 / 2.0);
    }
    r + 300.0
}

/// The door slides aside while the gate is open.
fn move_door(sim: Res<Sim>, mut doors: Query<&mut Transform, With<Door>>) {
    let sc = &sim.world.loaded().scenario;
    let half = fence_half_size(sc);
    let shift = if sim.world.controller().door_open() { 800.0 } else { 0.0 };
    for mut t in &mut doors {
        let z = f64::from(t.translation.y) * 1000.0;
        t.translation = offset(-half - if shift > 0.0 { 40.0 } else { 0.0 }, shift, z);
    }
}

/// A presence or distance sensor's beam, by its index: it lights while it sees a part.
#[derive(Component)]
pub struct SensorBeam(pub usize);

/// A type sensor's beam, by its index in the scenario: it lights in the colour of the part type
/// it reads.
#[derive(Component)]
pub struct TypeBeam(pub usize);

pub struct ScenePlugin;

impl Plugin for ScenePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Overlays>().add_systems(Startup, (palette, build_cell, dress_robot).chain()).add_systems(
            Update,
            (
                dress_parts,
                show_beams,
                show_type_beams,
                show_sensor_beams,
                move_fingers,
                draw_trail,
                draw_tcp_trail,
                draw_frames,
                draw_path_ahead,
                move_door,
            )
                .after(sync_parts),
        );
    }
}

/// Spawns the link entities (transforms only); the scene plugin gives them meshes.
pub fn spawn_links(commands: &mut Commands) -> Vec<Entity> {
    (0..7).map(|i| commands.spawn((RobotLink(i), Transform::default(), Visibility::default())).id()).collect()
}

/// Moves the link entities to the cell's current axis positions.
pub fn sync_robot(mut commands: Commands, sim: Res<Sim>, mut links: Query<(&RobotLink, &mut Transform)>) {
    if links.is_empty() {
        spawn_links(&mut commands);
        return;
    }
    let frames = sim.world.link_frames_world();
    for (l, mut t) in &mut links {
        *t = convert::transform(&frames[l.0]);
    }
}

/// Creates, moves and removes part entities to match the cell.
pub fn sync_parts(mut commands: Commands, sim: Res<Sim>, mut parts: Query<(Entity, &PartEntity, &mut Transform)>) {
    // Part ids are not positions in the list: a drained part leaves a gap.
    let views = sim.world.parts();
    let mut drawn = Vec::new();
    for (e, p, mut t) in &mut parts {
        match views.iter().find(|v| v.id == p.0) {
            Some(v) => {
                *t = convert::transform(&v.pose);
                drawn.push(v.id);
            }
            None => commands.entity(e).despawn(),
        }
    }
    for v in views.iter().filter(|v| !drawn.contains(&v.id)) {
        commands.spawn((PartEntity(v.id), convert::transform(&v.pose), Visibility::default()));
    }
}

#[derive(Resource)]
struct Palette {
    orange: Handle<StandardMaterial>,
    dark: Handle<StandardMaterial>,
    steel: Handle<StandardMaterial>,
    belt: Handle<StandardMaterial>,
    /// Per part type: its mesh, its material and the brighter one while held.
    part_kinds: Vec<(Handle<Mesh>, Handle<StandardMaterial>, Handle<StandardMaterial>)>,
    beam_free: Handle<StandardMaterial>,
    beam_blocked: Handle<StandardMaterial>,
    pen: Handle<StandardMaterial>,
    ink: Handle<StandardMaterial>,
    /// A type sensor's beam while it sees no part it knows.
    type_beam_idle: Handle<StandardMaterial>,
    /// Lit in each part type's colour.
    type_beam_lit: Vec<Handle<StandardMaterial>>,
}

fn mat(materials: &mut Assets<StandardMaterial>, c: Color, rough: f32, metal: f32) -> Handle<StandardMaterial> {
    materials.add(StandardMaterial { base_color: c, perceptual_roughness: rough, metallic: metal, ..default() })
}

fn palette(mut commands: Commands, sim: Res<Sim>, mut materials: ResMut<Assets<StandardMaterial>>, mut meshes: ResMut<Assets<Mesh>>) {
    let m = &mut *materials;
    let beam = |m: &mut Assets<StandardMaterial>, c: Color| {
        m.add(StandardMaterial { base_color: c, emissive: c.to_linear() * 4.0, unlit: true, ..default() })
    };
    let mut part_kinds = Vec::new();
    let mut type_beam_lit = Vec::new();
    for t in sim.world.part_types() {
        let [r, g, b] = colour_rgb(&t.colour).unwrap_or([0.2, 0.75, 0.25]);
        let (sx, sy, sz) = t.size_mm;
        let mesh = match t.shape {
            PartShape::Box => meshes.add(cuboid(sx, sy, sz)),
            // bevy's cylinder stands along its Y, which is the part's Z.
            PartShape::Cylinder => meshes.add(Cylinder::new((sx / 2000.0) as f32, (sz / 1000.0) as f32)),
        };
        let lift = |c: f32| (c + 0.25).min(1.0);
        part_kinds.push((mesh, mat(m, Color::srgb(r, g, b), 0.5, 0.0), mat(m, Color::srgb(lift(r), lift(g), lift(b)), 0.4, 0.0)));
        type_beam_lit.push(beam(m, Color::srgb(r, g, b)));
    }
    commands.insert_resource(Palette {
        orange: mat(m, Color::srgb(0.98, 0.42, 0.02), 0.45, 0.0),
        dark: mat(m, Color::srgb(0.13, 0.13, 0.14), 0.6, 0.2),
        steel: mat(m, Color::srgb(0.62, 0.64, 0.67), 0.35, 0.6),
        belt: mat(m, Color::srgb(0.12, 0.13, 0.12), 0.9, 0.0),
        part_kinds,
        beam_free: beam(m, Color::srgb(0.1, 0.9, 0.2)),
        beam_blocked: beam(m, Color::srgb(1.0, 0.1, 0.1)),
        type_beam_idle: beam(m, Color::srgb(0.55, 0.6, 0.7)),
        pen: mat(m, Color::srgb(0.15, 0.25, 0.7), 0.4, 0.0),
        ink: m.add(StandardMaterial { base_color: Color::srgb(0.05, 0.1, 0.5), unlit: true, ..default() }),
        type_beam_lit,
    });
}

fn build_cell(
    mut commands: Commands,
    sim: Res<Sim>,
    pal: Res<Palette>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let sc = &sim.world.loaded().scenario;
    let floor = mat(&mut materials, Color::srgb(0.55, 0.57, 0.58), 0.9, 0.0);
    let tile = mat(&mut materials, Color::srgb(0.50, 0.52, 0.53), 0.9, 0.0);
    let safety = mat(&mut materials, Color::srgb(0.95, 0.80, 0.05), 0.6, 0.0);
    let bin_mat = mat(&mut materials, Color::srgb(0.22, 0.30, 0.42), 0.6, 0.1);
    let at = |x: f64, y: f64, z: f64| Transform::from_translation(offset(x, y, z));
    // Floor with a checker of 1 m tiles and a yellow safety line around the robot.
    commands.spawn((Mesh3d(meshes.add(cuboid(6000.0, 6000.0, 10.0))), MeshMaterial3d(floor), at(0.0, 0.0, -5.0)));
    let tile_mesh = meshes.add(cuboid(1000.0, 1000.0, 1.0));
    for i in -3..3 {
        for j in -3..3 {
            if (i + j) % 2 == 0 {
                commands.spawn((
                    Mesh3d(tile_mesh.clone()),
                    MeshMaterial3d(tile.clone()),
                    at(i as f64 * 1000.0 + 500.0, j as f64 * 1000.0 + 500.0, 0.5),
                ));
            }
        }
    }
    let ring = meshes.add(Annulus::new(1.18, 1.22));
    commands.spawn((
        Mesh3d(ring),
        MeshMaterial3d(safety.clone()),
        Transform::from_xyz(0.0, 0.002, 0.0).with_rotation(Quat::from_rotation_x(-std::f32::consts::FRAC_PI_2)),
    ));

    for c in &sc.conveyors {
        let from = Vector3::new(c.from.x, c.from.y, c.from.z);
        let to = Vector3::new(c.to.x, c.to.y, c.to.z);
        let d = to - from;
        let len = d.norm();
        let yaw = d.y.atan2(d.x);
        let mid = (from + to) / 2.0;
        let top = from.z;
        let hw = c.width_mm / 2.0;
        let root = commands
            .spawn((
                Transform::from_translation(offset(mid.x, mid.y, 0.0)).with_rotation(Quat::from_rotation_y(yaw as f32)),
                Visibility::default(),
            ))
            .id();
        let mut child = |mesh: Cuboid, m: &Handle<StandardMaterial>, x: f64, y: f64, z: f64| {
            let e = commands.spawn((Mesh3d(meshes.add(mesh)), MeshMaterial3d(m.clone()), at(x, y, z))).id();
            commands.entity(root).add_child(e);
        };
        child(cuboid(len, c.width_mm, 20.0), &pal.belt, 0.0, 0.0, top - 10.0);
        child(cuboid(len + 40.0, c.width_mm + 20.0, 60.0), &pal.steel, 0.0, 0.0, top - 50.0);
        for s in [-1.0, 1.0] {
            child(cuboid(len, 10.0, 50.0), &pal.steel, 0.0, s * (hw + 5.0), top + 5.0);
            for end in [-1.0, 1.0] {
                child(cuboid(40.0, 40.0, top - 80.0), &pal.steel, end * (len / 2.0 - 60.0), s * (hw - 20.0), (top - 80.0) / 2.0);
            }
        }
        if let Some(g) = c.guide_mm {
            for s in [-1.0, 1.0] {
                child(cuboid(len, 6.0, 30.0), &pal.steel, 0.0, s * (g / 2.0 + 3.0), top + 20.0);
            }
        }
        if c.end_stop {
            child(cuboid(10.0, c.width_mm + 20.0, 70.0), &safety, len / 2.0 + 5.0, 0.0, top + 5.0);
        }
        // Rollers at the ends.
        for end in [-1.0, 1.0] {
            let e = commands
                .spawn((
                    Mesh3d(meshes.add(Cylinder::new(0.02, (c.width_mm / 1000.0) as f32))),
                    MeshMaterial3d(pal.steel.clone()),
                    at(end * len / 2.0, 0.0, top - 20.0).with_rotation(Quat::from_rotation_x(std::f32::consts::FRAC_PI_2)),
                ))
                .id();
            commands.entity(root).add_child(e);
        }
    }
    // Presence and distance sensors: a head at `at` and the beam over its range.
    for (i, sn) in sc.sensors.iter().enumerate() {
        let at = Vector3::new(sn.at.x, sn.at.y, sn.at.z);
        let dir = Vector3::new(sn.direction.x, sn.direction.y, sn.direction.z).normalize();
        let rot = nalgebra::UnitQuaternion::rotation_between(&Vector3::z(), &dir)
            .unwrap_or_else(|| nalgebra::UnitQuaternion::from_axis_angle(&Vector3::x_axis(), std::f64::consts::PI));
        let head = nalgebra::Isometry3::from_parts(nalgebra::Translation3::from(at - dir * 20.0), rot);
        commands.spawn((Mesh3d(meshes.add(cuboid(30.0, 30.0, 40.0))), MeshMaterial3d(pal.steel.clone()), convert::transform(&head)));
        let mid = nalgebra::Isometry3::from_parts(nalgebra::Translation3::from(at + dir * (sn.range_mm / 2.0)), rot);
        commands.spawn((
            SensorBeam(i),
            Mesh3d(meshes.add(cuboid(2.0, 2.0, sn.range_mm))),
            MeshMaterial3d(pal.type_beam_idle.clone()),
            convert::transform(&mid),
        ));
    }
    // Type sensors: a sensor head on one side, a reflector on the other, and the beam.
    for (i, t) in sc.type_sensors.iter().enumerate() {
        let Some(c) = sc.conveyors.iter().find(|c| c.name == t.conveyor) else { continue };
        let root = commands.spawn((beam_frame(c, t.at_mm, t.height_mm), Visibility::default())).id();
        let beam = commands
            .spawn((
                TypeBeam(i),
                Mesh3d(meshes.add(cuboid(2.0, c.width_mm + 40.0, 2.0))),
                MeshMaterial3d(pal.type_beam_idle.clone()),
                Transform::default(),
            ))
            .id();
        commands.entity(root).add_child(beam);
        for (s, size, m) in [(-1.0, (30.0, 30.0, 40.0), &pal.steel), (1.0, (10.0, 20.0, 30.0), &pal.dark)] {
            let part = commands
                .spawn((
                    Mesh3d(meshes.add(cuboid(size.0, size.1, size.2))),
                    MeshMaterial3d(m.clone()),
                    at(0.0, s * (c.width_mm / 2.0 + 30.0), 0.0),
                ))
                .id();
            commands.entity(root).add_child(part);
        }
    }
    for (i, b) in sc.light_barriers.iter().enumerate() {
        let Some(c) = sc.conveyors.iter().find(|c| c.name == b.conveyor) else { continue };
        let root = commands.spawn((beam_frame(c, b.at_mm, b.height_mm), Visibility::default())).id();
        let beam = commands
            .spawn((
                Beam(i),
                Mesh3d(meshes.add(cuboid(3.0, c.width_mm + 40.0, 3.0))),
                MeshMaterial3d(pal.beam_free.clone()),
                Transform::default(),
            ))
            .id();
        commands.entity(root).add_child(beam);
        for s in [-1.0, 1.0] {
            let post = commands
                .spawn((
                    Mesh3d(meshes.add(cuboid(20.0, 20.0, 60.0))),
                    MeshMaterial3d(pal.dark.clone()),
                    at(0.0, s * (c.width_mm / 2.0 + 30.0), 0.0),
                ))
                .id();
            commands.entity(root).add_child(post);
        }
    }
    // The safety fence, when the cell has a gate: yellow posts and rails with a faint mesh
    // between them (the cell stays in view), around everything, with a sliding door on the -X
    // side (moved by `move_door`).
    if sc.door_input.is_some() {
        let half = fence_half_size(sc);
        let mesh = materials.add(StandardMaterial {
            base_color: Color::srgba(0.9, 0.8, 0.2, 0.06),
            alpha_mode: AlphaMode::Blend,
            double_sided: true,
            cull_mode: None,
            ..default()
        });
        let yellow = mat(&mut materials, Color::srgb(0.95, 0.78, 0.1), 0.5, 0.1);
        let (h, door_w) = (1200.0, 800.0);
        // Each side as (from, to) along the square; the -X side leaves the door's opening.
        let sides = [
            ((-half, half), (half, half)),
            ((-half, -half), (half, -half)),
            ((half, -half), (half, half)),
            ((-half, -half), (-half, -door_w / 2.0)),
            ((-half, door_w / 2.0), (-half, half)),
        ];
        for ((x0, y0), (x1, y1)) in sides {
            let (len, cx, cy) = (f64::hypot(x1 - x0, y1 - y0), (x0 + x1) / 2.0, (y0 + y1) / 2.0);
            let along_x = (y1 - y0).abs() < 1e-9;
            let (lx, ly) = if along_x { (len, 5.0) } else { (5.0, len) };
            commands.spawn((Mesh3d(meshes.add(cuboid(lx, ly, h))), MeshMaterial3d(mesh.clone()), at(cx, cy, h / 2.0)));
            for z in [100.0, h] {
                let (rx, ry) = if along_x { (len, 30.0) } else { (30.0, len) };
                commands.spawn((Mesh3d(meshes.add(cuboid(rx, ry, 30.0))), MeshMaterial3d(yellow.clone()), at(cx, cy, z)));
            }
            let posts = (len / 700.0).ceil() as usize;
            for k in 0..=posts {
                let f = k as f64 / posts as f64;
                commands.spawn((
                    Mesh3d(meshes.add(cuboid(40.0, 40.0, h))),
                    MeshMaterial3d(yellow.clone()),
                    at(x0 + (x1 - x0) * f, y0 + (y1 - y0) * f, h / 2.0),
                ));
            }
        }
        commands.spawn((Door, Mesh3d(meshes.add(cuboid(30.0, door_w, h))), MeshMaterial3d(mesh.clone()), at(-half, 0.0, h / 2.0)));
        commands.spawn((Door, Mesh3d(meshes.add(cuboid(40.0, door_w, 40.0))), MeshMaterial3d(pal.dark.clone()), at(-half, 0.0, h)));
    }
    // Tables, and pallets with a dark mark on each slot.
    let table_mat = mat(&mut materials, Color::srgb(0.62, 0.55, 0.45), 0.8, 0.0);
    let pallet_mat = mat(&mut materials, Color::srgb(0.78, 0.66, 0.45), 0.9, 0.0);
    let paper = mat(&mut materials, Color::srgb(0.95, 0.95, 0.92), 0.95, 0.0);
    for t in &sc.tables {
        let (sx, sy, sz) = t.size_mm;
        let iso = nalgebra::Isometry3::from_parts(
            nalgebra::Translation3::new(t.center.x, t.center.y, t.center.z + sz / 2.0),
            nalgebra::UnitQuaternion::from_axis_angle(&Vector3::z_axis(), t.yaw_deg.to_radians()),
        );
        commands.spawn((Mesh3d(meshes.add(cuboid(sx, sy, sz))), MeshMaterial3d(table_mat.clone()), convert::transform(&iso)));
        if t.drawing {
            // A sheet of paper on a drawing table, 0.2 mm thick.
            let top = iso * nalgebra::Isometry3::translation(0.0, 0.0, sz / 2.0 + 0.1);
            commands.spawn((
                Mesh3d(meshes.add(cuboid(sx - 20.0, sy - 20.0, 0.2))),
                MeshMaterial3d(paper.clone()),
                convert::transform(&top),
            ));
        }
    }
    for p in &sc.pallets {
        let (iso, size) = p.plate();
        commands.spawn((Mesh3d(meshes.add(cuboid(size.x, size.y, size.z))), MeshMaterial3d(pallet_mat.clone()), convert::transform(&iso)));
        let mark = meshes.add(cuboid(p.pitch_mm.0 * 0.7, p.pitch_mm.1 * 0.7, 1.0));
        for (_, at) in p.slots() {
            let iso = nalgebra::Isometry3::from_parts(nalgebra::Translation3::from(at + Vector3::new(0.0, 0.0, 0.5)), p.frame().rotation);
            commands.spawn((Mesh3d(mark.clone()), MeshMaterial3d(pal.dark.clone()), convert::transform(&iso)));
        }
    }
    for b in &sc.bins {
        let bin_mat = match b.colour.as_deref().and_then(colour_rgb) {
            Some([r, g, bl]) => mat(&mut materials, Color::srgb(r * 0.8, g * 0.8, bl * 0.8), 0.6, 0.1),
            None => bin_mat.clone(),
        };
        let (sx, sy, sz) = b.size_mm;
        let (cx, cy, cz) = (b.center.x, b.center.y, b.center.z);
        let w = 10.0;
        let pieces = [
            ((cx, cy, cz + w / 2.0), (sx, sy, w)),
            ((cx - sx / 2.0 + w / 2.0, cy, cz + sz / 2.0), (w, sy, sz)),
            ((cx + sx / 2.0 - w / 2.0, cy, cz + sz / 2.0), (w, sy, sz)),
            ((cx, cy - sy / 2.0 + w / 2.0, cz + sz / 2.0), (sx, w, sz)),
            ((cx, cy + sy / 2.0 - w / 2.0, cz + sz / 2.0), (sx, w, sz)),
        ];
        for ((x, y, z), (a, bb, c)) in pieces {
            commands.spawn((Mesh3d(meshes.add(cuboid(a, bb, c))), MeshMaterial3d(bin_mat.clone()), at(x, y, z)));
        }
    }
}

/// Gives the arm its look: dark base, orange links, grey flange and the vacuum gripper.
fn dress_robot(mut commands: Commands, sim: Res<Sim>, pal: Res<Palette>, mut meshes: ResMut<Assets<Mesh>>) {
    let links = spawn_links(&mut commands);
    let g = &sim.world.model().geometry;
    let shape = sim.world.robot_shape();
    let mm = |x: f64| (x / 1000.0) as f32;
    let mut add = |link: usize, mesh: Mesh, m: &Handle<StandardMaterial>, t: Transform| {
        let e = commands.spawn((Mesh3d(meshes.add(mesh)), MeshMaterial3d(m.clone()), t)).id();
        commands.entity(links[link]).add_child(e);
    };
    let along_z = |x: f64, y: f64, z: f64| Transform::from_translation(offset(x, y, z));
    // Base: a dark foot.
    add(0, Cylinder::new(mm(110.0), mm(180.0)).into(), &pal.dark, along_z(0.0, 0.0, 90.0));
    // A1 carousel up to the shoulder.
    add(1, Cylinder::new(mm(95.0), mm(g.c1 - 200.0)).into(), &pal.orange, along_z(0.0, 0.0, 180.0 + (g.c1 - 200.0) / 2.0));
    add(1, cuboid(g.a1 + 160.0, 190.0, 150.0).into(), &pal.orange, along_z(g.a1 / 2.0, 0.0, g.c1 - 20.0));
    // Upper arm A2 -> A3, with motor housings at both joints.
    add(2, Capsule3d::new(mm(55.0), mm(shape.upper_arm_len)).into(), &pal.orange, along_z(0.0, 0.0, shape.upper_arm_len / 2.0));
    let hub = |r: f64, w: f64| -> Mesh { Cylinder::new(mm(r), mm(w)).into() };
    let across = |x: f64, y: f64, z: f64| along_z(x, y, z).with_rotation(Quat::from_rotation_x(std::f32::consts::FRAC_PI_2));
    add(2, hub(75.0, 170.0), &pal.orange, across(0.0, 0.0, 0.0));
    add(3, hub(60.0, 150.0), &pal.orange, across(0.0, 0.0, 0.0));
    // Forearm from the A3-A4 offset to the wrist.
    add(3, cuboid(130.0, 120.0, 140.0).into(), &pal.orange, along_z(g.a2 * 0.5, 0.0, 30.0));
    add(
        4,
        Capsule3d::new(mm(48.0), mm(shape.forearm_len - 60.0)).into(),
        &pal.orange,
        along_z(0.0, 0.0, (shape.forearm_len - 60.0) / 2.0 + 20.0),
    );
    // Wrist and flange.
    add(5, hub(42.0, 100.0), &pal.orange, across(0.0, 0.0, 0.0));
    add(5, Cylinder::new(mm(35.0), mm(g.c4 - 10.0)).into(), &pal.orange, along_z(0.0, 0.0, (g.c4 - 10.0) / 2.0));
    add(6, Cylinder::new(mm(32.0), mm(10.0)).into(), &pal.steel, along_z(0.0, 0.0, -5.0));
    let tube = (shape.tool_len - crate::sim::cell::physics::RobotShape::CUP_GAP_MM).max(5.0);
    let tcp = sim.world.loaded().scenario.tool.tcp.pos().norm();
    match &sim.world.loaded().scenario.gripper {
        GripperSpec::Vacuum { .. } => {
            // A grey tube and a black cup at the TCP.
            add(6, Cylinder::new(mm(shape.tool_radius), mm(tube)).into(), &pal.steel, along_z(0.0, 0.0, tube / 2.0));
            add(6, Cylinder::new(mm(shape.tool_radius * 0.9), mm(12.0)).into(), &pal.dark, along_z(0.0, 0.0, shape.tool_len - 6.0));
        }
        GripperSpec::Parallel { stroke_mm, finger_mm, .. } => {
            // A grey column, a dark body as wide as the stroke, and two fingers (moved by
            // `move_fingers`) whose middles are at the TCP.
            add(6, Cylinder::new(mm(shape.tool_radius), mm(tube - 30.0)).into(), &pal.steel, along_z(0.0, 0.0, (tube - 30.0) / 2.0));
            add(6, cuboid(stroke_mm + 40.0, 40.0, 30.0).into(), &pal.dark, along_z(0.0, 0.0, tube - 15.0));
            for side in [-1.0, 1.0] {
                let e = commands
                    .spawn((
                        Finger(side),
                        Mesh3d(meshes.add(cuboid(10.0, 20.0, *finger_mm))),
                        MeshMaterial3d(pal.steel.clone()),
                        Transform::from_translation(offset(side * (stroke_mm / 2.0 + 5.0), 0.0, tcp)),
                    ))
                    .id();
                commands.entity(links[6]).add_child(e);
            }
        }
        GripperSpec::Pen => {
            // A blue pen with a dark tip at the TCP.
            add(6, Cylinder::new(mm(8.0), mm(tcp - 15.0)).into(), &pal.pen, along_z(0.0, 0.0, (tcp - 15.0) / 2.0));
            add(6, Cylinder::new(mm(3.0), mm(15.0)).into(), &pal.dark, along_z(0.0, 0.0, tcp - 7.5));
        }
    }
}

/// A finger of the parallel gripper: -1 or 1 along the tool's X.
#[derive(Component)]
pub struct Finger(f64);

fn move_fingers(sim: Res<Sim>, mut fingers: Query<(&Finger, &mut Transform)>) {
    let Some(gap) = sim.world.finger_gap() else { return };
    let tcp = sim.world.loaded().scenario.tool.tcp.pos().norm();
    for (f, mut t) in &mut fingers {
        t.translation = offset(f.0 * (gap / 2.0 + 5.0), 0.0, tcp);
    }
}

/// What is drawn over the cell besides it.
#[derive(Resource, Default)]
pub struct Overlays {
    /// The TCP's path of the last seconds, coloured by its speed.
    pub tcp_trail: bool,
    /// The program's active `$BASE` and `$TOOL` as axes (X red, Y green, Z blue).
    pub frames: bool,
    /// The TCP's path along the motions planned and queued.
    pub path_ahead: bool,
}

/// The TCP's trail, and the time of the newest sample it was built from.
#[derive(Component)]
pub struct TcpTrail(f64);

/// Seconds of the TCP's path the trail shows.
const TCP_TRAIL_S: f64 = 20.0;
/// The speed (mm/s) drawn red; slower is bluer.
const TCP_TRAIL_FAST: f64 = 2000.0;

/// The colour of a speed on the trail: blue at rest, through green, to red at
/// [`TCP_TRAIL_FAST`] and above (linear RGBA).
pub fn speed_colour(mm_s: f64) -> [f32; 4] {
    let k = (mm_s / TCP_TRAIL_FAST).clamp(0.0, 1.0) as f32;
    if k < 0.5 { [0.0, 2.0 * k, 1.0 - 2.0 * k, 1.0] } else { [2.0 * k - 1.0, 2.0 - 2.0 * k, 0.0, 1.0] }
}

fn draw_tcp_trail(
    mut commands: Commands,
    sim: Res<Sim>,
    overlays: Res<Overlays>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut trail: Query<(&mut TcpTrail, &Mesh3d, &mut Visibility)>,
) {
    let newest = sim.trace.samples.back().map_or(-1.0, |s| s.time_s);
    if let Some((t, _, mut vis)) = trail.iter_mut().next() {
        let want = if overlays.tcp_trail { Visibility::Inherited } else { Visibility::Hidden };
        if *vis != want {
            *vis = want;
        }
        if !overlays.tcp_trail || t.0 == newest {
            return;
        }
    } else if !overlays.tcp_trail {
        return;
    }
    let recent: Vec<_> = sim.trace.samples.iter().filter(|s| s.time_s >= newest - TCP_TRAIL_S).collect();
    let (mut pos, mut col): (Vec<[f32; 3]>, Vec<[f32; 4]>) = (Vec::new(), Vec::new());
    for w in recent.windows(2) {
        for s in [w[0], w[1]] {
            pos.push(convert::pos(&Vector3::from(s.tcp_mm)).to_array());
            col.push(speed_colour(w[1].tcp_mm_s));
        }
    }
    let mesh = Mesh::new(bevy::mesh::PrimitiveTopology::LineList, bevy::asset::RenderAssetUsages::default())
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, pos)
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, col);
    match trail.iter_mut().next() {
        Some((mut t, m, _)) => {
            if let Some(mut old) = meshes.get_mut(&m.0) {
                *old = mesh;
            }
            t.0 = newest;
        }
        None => {
            let white = materials.add(StandardMaterial { base_color: Color::WHITE, unlit: true, ..default() });
            commands.spawn((
                TcpTrail(newest),
                Mesh3d(meshes.add(mesh)),
                MeshMaterial3d(white),
                Transform::default(),
                Visibility::Inherited,
            ));
        }
    }
}

/// Shows or hides an overlay's lines and, while shown, replaces them with `mesh()`: spawned the
/// first time with `marker` in an unlit `colour` (white lets the mesh's vertex colours show).
fn show_lines<T: Component>(
    commands: &mut Commands,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
    drawn: &mut Query<(&Mesh3d, &mut Visibility), With<T>>,
    on: bool,
    (marker, colour): (T, Color),
    mesh: impl FnOnce() -> Mesh,
) {
    if let Some((_, mut vis)) = drawn.iter_mut().next() {
        let want = if on { Visibility::Inherited } else { Visibility::Hidden };
        if *vis != want {
            *vis = want;
        }
    }
    if !on {
        return;
    }
    let mesh = mesh();
    match drawn.iter_mut().next() {
        Some((m, _)) => {
            if let Some(mut old) = meshes.get_mut(&m.0) {
                *old = mesh;
            }
        }
        None => {
            let material = materials.add(StandardMaterial { base_color: colour, unlit: true, ..default() });
            commands.spawn((marker, Mesh3d(meshes.add(mesh)), MeshMaterial3d(material), Transform::default(), Visibility::Inherited));
        }
    }
}

fn line_list(pos: Vec<[f32; 3]>) -> Mesh {
    Mesh::new(bevy::mesh::PrimitiveTopology::LineList, bevy::asset::RenderAssetUsages::default())
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, pos)
}

/// The lines of the active frames.
#[derive(Component)]
pub struct FrameAxes;

/// `$BASE` (250 mm axes) and `$TOOL` at the TCP (120 mm), rebuilt each frame while shown.
fn draw_frames(
    mut commands: Commands,
    sim: Res<Sim>,
    overlays: Res<Overlays>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut drawn: Query<(&Mesh3d, &mut Visibility), With<FrameAxes>>,
) {
    show_lines(&mut commands, &mut meshes, &mut materials, &mut drawn, overlays.frames, (FrameAxes, Color::WHITE), || {
        let (base, tool) = sim.world.frames_world();
        let (mut pos, mut col): (Vec<[f32; 3]>, Vec<[f32; 4]>) = (Vec::new(), Vec::new());
        let colours = [[1.0, 0.15, 0.1, 1.0], [0.1, 0.85, 0.2, 1.0], [0.15, 0.35, 1.0, 1.0]];
        for (f, len) in [(base, 250.0), (tool, 120.0)] {
            for (axis, c) in [Vector3::x(), Vector3::y(), Vector3::z()].into_iter().zip(colours) {
                let o = f.translation.vector;
                pos.push(convert::pos(&o).to_array());
                pos.push(convert::pos(&(o + f.rotation * axis * len)).to_array());
                col.extend([c, c]);
            }
        }
        line_list(pos).with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, col)
    });
}

/// The lines of the path ahead.
#[derive(Component)]
pub struct PathAhead;

/// Where the TCP goes along the motions the advance run planned (yellow), rebuilt each frame.
fn draw_path_ahead(
    mut commands: Commands,
    sim: Res<Sim>,
    overlays: Res<Overlays>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut drawn: Query<(&Mesh3d, &mut Visibility), With<PathAhead>>,
) {
    let yellow = Color::srgb(1.0, 0.85, 0.1);
    show_lines(&mut commands, &mut meshes, &mut materials, &mut drawn, overlays.path_ahead, (PathAhead, yellow), || {
        let path = sim.world.planned_path_world(5);
        line_list(path.windows(2).flat_map(|w| [convert::pos(&w[0]).to_array(), convert::pos(&w[1]).to_array()]).collect())
    });
}

/// The pen's trail: a line through every drawn point, rebuilt when it grows.
#[derive(Component)]
pub struct Trail(usize);

fn draw_trail(
    mut commands: Commands,
    sim: Res<Sim>,
    pal: Res<Palette>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut trail: Query<(Entity, &mut Trail, &Mesh3d)>,
) {
    let (points, strokes) = sim.world.trail();
    let drawn = trail.iter().next().map_or(0, |t| t.1.0);
    if points.len() == drawn {
        return;
    }
    // Segments within each stroke, lifted 0.3 mm off the table.
    let mut pos: Vec<[f32; 3]> = Vec::new();
    for (i, w) in points.windows(2).enumerate() {
        if strokes.contains(&(i + 1)) {
            continue;
        }
        for p in [w[0].1, w[1].1] {
            pos.push(convert::pos(&(p + Vector3::new(0.0, 0.0, 0.3))).to_array());
        }
    }
    let mesh = Mesh::new(bevy::mesh::PrimitiveTopology::LineList, bevy::asset::RenderAssetUsages::default())
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, pos);
    match trail.iter_mut().next() {
        Some((_, mut t, m)) => {
            if let Some(mut old) = meshes.get_mut(&m.0) {
                *old = mesh;
            }
            t.0 = points.len();
        }
        None => {
            commands.spawn((Trail(points.len()), Mesh3d(meshes.add(mesh)), MeshMaterial3d(pal.ink.clone()), Transform::default()));
        }
    }
}

fn dress_parts(
    mut commands: Commands,
    sim: Res<Sim>,
    pal: Res<Palette>,
    added: Query<(Entity, &PartEntity), Added<PartEntity>>,
    mut all: Query<(&PartEntity, &mut MeshMaterial3d<StandardMaterial>)>,
) {
    let views = sim.world.parts();
    let view = |id: usize| views.iter().find(|v| v.id == id);
    for (e, p) in &added {
        let Some((mesh, m, _)) = view(p.0).and_then(|v| pal.part_kinds.get(v.kind)) else { continue };
        commands.entity(e).insert((Mesh3d(mesh.clone()), MeshMaterial3d(m.clone())));
    }
    for (p, mut m) in &mut all {
        let Some(v) = view(p.0) else { continue };
        let Some((_, normal, held)) = pal.part_kinds.get(v.kind) else { continue };
        let want = if v.state == PartState::Held { held } else { normal };
        if m.0 != *want {
            m.0 = want.clone();
        }
    }
}

/// A presence or distance sensor lights (as a blocked light barrier) while it sees a part.
fn show_sensor_beams(sim: Res<Sim>, pal: Res<Palette>, mut beams: Query<(&SensorBeam, &mut MeshMaterial3d<StandardMaterial>)>) {
    let sc = &sim.world.loaded().scenario;
    for (b, mut m) in &mut beams {
        let Some(sn) = sc.sensors.get(b.0) else { continue };
        let seeing = match sn.kind {
            SensorKind::Presence { input } => sim.world.io.inputs[input],
            SensorKind::Distance { analog } => sim.world.io.analog_in[analog] < 1.0,
        };
        let want = if seeing { &pal.beam_blocked } else { &pal.type_beam_idle };
        if m.0 != *want {
            m.0 = want.clone();
        }
    }
}

/// A type sensor lights in the colour of the part type its inputs report.
fn show_type_beams(sim: Res<Sim>, pal: Res<Palette>, mut beams: Query<(&TypeBeam, &mut MeshMaterial3d<StandardMaterial>)>) {
    let sc = &sim.world.loaded().scenario;
    let types = sim.world.part_types();
    for (b, mut m) in &mut beams {
        let Some(t) = sc.type_sensors.get(b.0) else { continue };
        let code = (t.inputs.0..=t.inputs.1).enumerate().fold(0u32, |c, (bit, n)| c | (sim.world.io.inputs[n] as u32) << bit);
        let kind = t.codes.iter().find(|(_, c)| **c == code && code != 0).and_then(|(name, _)| types.iter().position(|p| &p.name == name));
        let want = kind.and_then(|k| pal.type_beam_lit.get(k)).unwrap_or(&pal.type_beam_idle);
        if m.0 != *want {
            m.0 = want.clone();
        }
    }
}

fn show_beams(sim: Res<Sim>, pal: Res<Palette>, mut beams: Query<(&Beam, &mut MeshMaterial3d<StandardMaterial>)>) {
    let sc = &sim.world.loaded().scenario;
    for (b, mut m) in &mut beams {
        let blocked = sc.light_barriers.get(b.0).is_some_and(|lb| sim.world.io.inputs[lb.input]);
        let want = if blocked { &pal.beam_blocked } else { &pal.beam_free };
        if m.0 != *want {
            m.0 = want.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::speed_colour;

    #[test]
    fn the_trail_is_blue_at_rest_green_at_half_speed_and_red_when_fast() {
        assert_eq!(speed_colour(0.0), [0.0, 0.0, 1.0, 1.0]);
        assert_eq!(speed_colour(1000.0), [0.0, 1.0, 0.0, 1.0]);
        assert_eq!(speed_colour(2000.0), [1.0, 0.0, 0.0, 1.0]);
        assert_eq!(speed_colour(9000.0), speed_colour(2000.0));
    }
}
