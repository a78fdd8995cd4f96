//! Orbit camera: drag with the left or right mouse button to turn, wheel to zoom; views to
//! jump to (F1 operator, F2 front, F3 side, F4 top, F5 following the TCP) from keys or the panel.

use bevy::camera::CameraOutputMode;
use bevy::camera::visibility::RenderLayers;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::prelude::*;
use bevy::render::render_resource::BlendState;
use bevy_egui::input::EguiWantsInput;
use bevy_egui::{EguiGlobalSettings, PrimaryEguiContext};

pub struct CameraPlugin;

impl Plugin for CameraPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<CameraView>().add_systems(Startup, spawn_camera).add_systems(Update, orbit);
    }
}

#[derive(Component)]
pub struct Orbit {
    pub focus: Vec3,
    pub yaw: f32,
    pub pitch: f32,
    pub distance: f32,
}

/// A view of the cell to jump to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Where an operator stands: in front of the cell, a little to the side, looking down.
    Operator,
    /// Facing the robot from in front (from +X).
    Front,
    /// From its left side (from -Y).
    Side,
    /// From above.
    Top,
    /// Near the TCP, following it.
    FollowTcp,
}

impl View {
    /// A view by its name on the command line: operator, front, side, top, follow.
    pub fn by_name(name: &str) -> Option<View> {
        Some(match name {
            "operator" => View::Operator,
            "front" => View::Front,
            "side" => View::Side,
            "top" => View::Top,
            "follow" => View::FollowTcp,
            _ => return None,
        })
    }

    pub const ALL: [(View, &'static str, &'static str); 5] = [
        (View::Operator, "Operator", "F1"),
        (View::Front, "Front", "F2"),
        (View::Side, "Side", "F3"),
        (View::Top, "Top", "F4"),
        (View::FollowTcp, "Follow TCP", "F5"),
    ];

    fn orbit(self) -> Orbit {
        let focus = Vec3::new(0.3, 0.25, -0.1);
        match self {
            View::Operator | View::FollowTcp => Orbit { focus, yaw: 0.55, pitch: -0.45, distance: 2.6 },
            View::Front => Orbit { focus, yaw: std::f32::consts::FRAC_PI_2, pitch: -0.15, distance: 2.8 },
            View::Side => Orbit { focus, yaw: 0.0, pitch: -0.15, distance: 2.8 },
            View::Top => Orbit { focus, yaw: std::f32::consts::FRAC_PI_2, pitch: -1.5, distance: 3.0 },
        }
    }
}

/// The view the panel or a key asked for, and the one in force (following the TCP lasts until
/// another view is chosen or the camera is dragged).
#[derive(Resource, Default)]
pub struct CameraView {
    pub request: Option<View>,
    pub current: Option<View>,
}

impl Orbit {
    fn transform(&self) -> Transform {
        let rot = Quat::from_euler(EulerRot::YXZ, self.yaw, self.pitch, 0.0);
        let pos = self.focus + rot * Vec3::new(0.0, 0.0, self.distance);
        Transform::from_translation(pos).looking_at(self.focus, Vec3::Y)
    }
}

fn spawn_camera(mut commands: Commands, mut egui: ResMut<EguiGlobalSettings>) {
    let orbit = View::Operator.orbit();
    commands.spawn((Camera3d::default(), orbit.transform(), orbit));
    // The panel gets a camera of its own, so the 3D view can keep to the area beside it.
    egui.auto_create_primary_context = false;
    commands.spawn((
        PrimaryEguiContext,
        Camera2d,
        RenderLayers::none(),
        Camera {
            order: 1,
            output_mode: CameraOutputMode::Write { blend_state: Some(BlendState::ALPHA_BLENDING), clear_color: ClearColorConfig::None },
            clear_color: ClearColorConfig::Custom(Color::NONE),
            ..default()
        },
    ));
    commands.insert_resource(GlobalAmbientLight { brightness: 400.0, ..default() });
    commands.spawn((
        DirectionalLight { illuminance: 9000.0, shadow_maps_enabled: true, ..default() },
        Transform::from_xyz(2.0, 4.0, 3.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
}

#[allow(clippy::too_many_arguments)]
fn orbit(
    buttons: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    wants: Option<Res<EguiWantsInput>>,
    mut view: ResMut<CameraView>,
    sim: Option<Res<super::Sim>>,
    mut cams: Query<(&mut Orbit, &mut Transform)>,
) {
    let typing = wants.as_ref().is_some_and(|w| w.wants_keyboard_input());
    for ((v, _, _), key) in View::ALL.iter().zip([KeyCode::F1, KeyCode::F2, KeyCode::F3, KeyCode::F4, KeyCode::F5]) {
        if !typing && keys.just_pressed(key) {
            view.request = Some(*v);
        }
    }
    let pointer_free = !wants.is_some_and(|w| w.wants_pointer_input() || w.is_pointer_over_area());
    for (mut o, mut t) in &mut cams {
        if let Some(v) = view.request.take() {
            *o = v.orbit();
            if v == View::FollowTcp {
                o.distance = 1.2;
            }
            view.current = Some(v);
        }
        if pointer_free && (buttons.pressed(MouseButton::Left) || buttons.pressed(MouseButton::Right)) {
            o.yaw -= motion.delta.x * 0.005;
            o.pitch = (o.pitch - motion.delta.y * 0.005).clamp(-1.5, 0.2);
        }
        if pointer_free && scroll.delta.y != 0.0 {
            o.distance = (o.distance * (1.0 - scroll.delta.y * 0.1)).clamp(0.5, 12.0);
        }
        if view.current == Some(View::FollowTcp)
            && let Some(sim) = &sim
        {
            o.focus = super::convert::pos(&sim.world.tcp_world().translation.vector);
        }
        *t = o.transform();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bevy is KUKA turned (x, y, z) -> (x, z, -y): in front of the robot (KUKA +X) is bevy +x,
    /// its left side (KUKA -Y) bevy +z, above it bevy +y.
    #[test]
    fn each_view_looks_from_its_side() {
        let from = |v: View| {
            let o = v.orbit();
            (o.transform().translation - o.focus).normalize()
        };
        assert!(from(View::Front).x > 0.95, "{}", from(View::Front));
        assert!(from(View::Side).z > 0.95, "{}", from(View::Side));
        assert!(from(View::Top).y > 0.99, "{}", from(View::Top));
        let op = from(View::Operator);
        assert!(op.x > 0.3 && op.z > 0.3 && op.y > 0.3, "in front, to the side and above: {op}");
    }
}
