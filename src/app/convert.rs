//! The one place where KUKA world frames (mm, Z up, f64) become bevy transforms (m, Y up, f32).
//! bevy = Rx(-90 deg) * kuka: (x, y, z) -> (x, z, -y).

use bevy::prelude::*;
use nalgebra::{Isometry3, Vector3};

pub fn pos(v: &Vector3<f64>) -> Vec3 {
    Vec3::new((v.x / 1000.0) as f32, (v.z / 1000.0) as f32, (-v.y / 1000.0) as f32)
}

pub fn transform(iso: &Isometry3<f64>) -> Transform {
    let q = iso.rotation.quaternion();
    let r = Quat::from_xyzw(q.i as f32, q.j as f32, q.k as f32, q.w as f32);
    let m = Quat::from_rotation_x(-std::f32::consts::FRAC_PI_2);
    Transform { translation: pos(&iso.translation.vector), rotation: m * r * m.inverse(), scale: Vec3::ONE }
}

/// A local offset given in KUKA axes (mm) as a bevy translation.
pub fn offset(x: f64, y: f64, z: f64) -> Vec3 {
    pos(&Vector3::new(x, y, z))
}

/// A box with KUKA extents (mm) as a bevy cuboid.
pub fn cuboid(sx: f64, sy: f64, sz: f64) -> Cuboid {
    Cuboid::new((sx / 1000.0) as f32, (sz / 1000.0) as f32, (sy / 1000.0) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::math::Frame;

    #[test]
    fn kuka_z_up_is_bevy_y_up() {
        let t = transform(&Frame::new(1000.0, 2000.0, 3000.0, 0.0, 90.0, 0.0).to_iso());
        assert!((t.translation - Vec3::new(1.0, 3.0, -2.0)).length() < 1e-6);
        // The tool axis (KUKA z) rotated by B 90 points along KUKA +x = bevy +x.
        let zt = t.rotation * Vec3::Y;
        assert!((zt - Vec3::X).length() < 1e-6, "{zt}");
    }
}
