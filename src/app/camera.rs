//! Orbit camera: drag with the left or right mouse button to turn, wheel to zoom.

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
        app.add_systems(Startup, spawn_camera).add_systems(Update, orbit);
    }
}

#[derive(Component)]
pub struct Orbit {
    pub focus: Vec3,
    pub yaw: f32,
    pub pitch: f32,
    pub distance: f32,
}

impl Orbit {
    fn transform(&self) -> Transform {
        let rot = Quat::from_euler(EulerRot::YXZ, self.yaw, self.pitch, 0.0);
        let pos = self.focus + rot * Vec3::new(0.0, 0.0, self.distance);
        Transform::from_translation(pos).looking_at(self.focus, Vec3::Y)
    }
}

fn spawn_camera(mut commands: Commands, mut egui: ResMut<EguiGlobalSettings>) {
    let orbit = Orbit { focus: Vec3::new(0.3, 0.25, -0.1), yaw: 0.55, pitch: -0.45, distance: 2.6 };
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

fn orbit(
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    wants: Option<Res<EguiWantsInput>>,
    mut cams: Query<(&mut Orbit, &mut Transform)>,
) {
    if wants.is_some_and(|w| w.wants_pointer_input() || w.is_pointer_over_area()) {
        return;
    }
    for (mut o, mut t) in &mut cams {
        if buttons.pressed(MouseButton::Left) || buttons.pressed(MouseButton::Right) {
            o.yaw -= motion.delta.x * 0.005;
            o.pitch = (o.pitch - motion.delta.y * 0.005).clamp(-1.5, 0.2);
        }
        if scroll.delta.y != 0.0 {
            o.distance = (o.distance * (1.0 - scroll.delta.y * 0.1)).clamp(0.5, 12.0);
        }
        *t = o.transform();
    }
}
