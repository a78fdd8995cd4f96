//! Poses in KUKA conventions: millimetres, degrees, R = Rz(A) * Ry(B) * Rx(C).
//! Every conversion between KUKA A, B, C and rotation matrices lives here.

use nalgebra::{Isometry3, Matrix3, Rotation3, Translation3, UnitQuaternion, Vector3};
use serde::{Deserialize, Serialize};

/// A Cartesian frame as KRL writes it: X, Y, Z in mm, A, B, C in degrees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Frame {
    #[serde(default)]
    pub x: f64,
    #[serde(default)]
    pub y: f64,
    #[serde(default)]
    pub z: f64,
    #[serde(default)]
    pub a: f64,
    #[serde(default)]
    pub b: f64,
    #[serde(default)]
    pub c: f64,
}

impl Frame {
    pub const NULL: Frame = Frame { x: 0.0, y: 0.0, z: 0.0, a: 0.0, b: 0.0, c: 0.0 };

    pub fn new(x: f64, y: f64, z: f64, a: f64, b: f64, c: f64) -> Self {
        Frame { x, y, z, a, b, c }
    }

    /// The rigid transform (mm) this frame stands for.
    pub fn to_iso(&self) -> Isometry3<f64> {
        Isometry3::from_parts(
            Translation3::new(self.x, self.y, self.z),
            UnitQuaternion::from_rotation_matrix(&abc_to_rot(self.a, self.b, self.c)),
        )
    }

    pub fn from_iso(iso: &Isometry3<f64>) -> Self {
        let t = iso.translation.vector;
        let (a, b, c) = rot_to_abc(&iso.rotation.to_rotation_matrix());
        Frame { x: t.x, y: t.y, z: t.z, a, b, c }
    }

    pub fn pos(&self) -> Vector3<f64> {
        Vector3::new(self.x, self.y, self.z)
    }
}

/// R = Rz(A) * Ry(B) * Rx(C), angles in degrees.
pub fn abc_to_rot(a_deg: f64, b_deg: f64, c_deg: f64) -> Rotation3<f64> {
    let rz = Rotation3::from_axis_angle(&Vector3::z_axis(), a_deg.to_radians());
    let ry = Rotation3::from_axis_angle(&Vector3::y_axis(), b_deg.to_radians());
    let rx = Rotation3::from_axis_angle(&Vector3::x_axis(), c_deg.to_radians());
    rz * ry * rx
}

/// Inverse of [`abc_to_rot`]: A and C in (-180, 180], B in [-90, 90].
/// At B = +-90 (gimbal lock) C is set to 0 and A carries the whole rotation.
pub fn rot_to_abc(r: &Rotation3<f64>) -> (f64, f64, f64) {
    let m: &Matrix3<f64> = r.matrix();
    let sb = (-m[(2, 0)]).clamp(-1.0, 1.0);
    let b = sb.asin();
    let cb = (m[(0, 0)].powi(2) + m[(1, 0)].powi(2)).sqrt();
    let (a, c) = if cb > 1e-9 {
        (m[(1, 0)].atan2(m[(0, 0)]), m[(2, 1)].atan2(m[(2, 2)]))
    } else {
        // Gimbal lock: only A -/+ C is defined.
        ((-m[(0, 1)]).atan2(m[(1, 1)]), 0.0)
    };
    (norm_deg(a.to_degrees()), b.to_degrees(), norm_deg(c.to_degrees()))
}

/// Wraps an angle in degrees into (-180, 180].
pub fn norm_deg(mut d: f64) -> f64 {
    d %= 360.0;
    if d <= -180.0 {
        d += 360.0;
    } else if d > 180.0 {
        d -= 360.0;
    }
    d
}

/// Wraps an angle in radians into (-pi, pi].
pub fn norm_rad(r: f64) -> f64 {
    norm_deg(r.to_degrees()).to_radians()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abc_round_trip() {
        for &(a, b, c) in &[(0.0, 90.0, 0.0), (30.0, -20.0, 170.0), (-179.0, 45.0, -90.0), (10.0, 0.0, 180.0)] {
            let r = abc_to_rot(a, b, c);
            let (a2, b2, c2) = rot_to_abc(&r);
            let r2 = abc_to_rot(a2, b2, c2);
            assert!((r.matrix() - r2.matrix()).norm() < 1e-9, "{a} {b} {c} -> {a2} {b2} {c2}");
        }
    }

    /// Rz(A) * Ry(B) * Rx(C) against matrices written out by hand, and back to A, B, C.
    #[test]
    fn abc_matches_hand_written_matrices() {
        let m = |r: [[f64; 3]; 3]| nalgebra::Matrix3::from_row_slice(&[r[0], r[1], r[2]].concat());
        let cases = [
            // A = 90: Rz(90).
            ((90.0, 0.0, 0.0), m([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])),
            // C = 90: Rx(90).
            ((0.0, 0.0, 90.0), m([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])),
            // A = 90, C = 90: Rz(90) Rx(90).
            ((90.0, 0.0, 90.0), m([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])),
            // B = 90 with A = 90: Rz(90) Ry(90).
            ((90.0, 90.0, 0.0), m([[0.0, -1.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0]])),
            // B = -90: Ry(-90).
            ((0.0, -90.0, 0.0), m([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])),
        ];
        for ((a, b, c), want) in cases {
            let r = abc_to_rot(a, b, c);
            assert!((r.matrix() - want).norm() < 1e-12, "{a} {b} {c}: {}", r.matrix());
            let (a2, b2, c2) = rot_to_abc(&r);
            assert!((abc_to_rot(a2, b2, c2).matrix() - want).norm() < 1e-9, "{a} {b} {c} -> {a2} {b2} {c2}");
            if b.abs() < 89.0 {
                // Away from B = +-90 the angles themselves come back.
                assert!((a2 - a).abs() < 1e-9 && (b2 - b).abs() < 1e-9 && (c2 - c).abs() < 1e-9, "{a} {b} {c} -> {a2} {b2} {c2}");
            } else {
                assert!((b2 - b).abs() < 1e-6, "B {b} -> {b2}");
            }
        }
    }

    #[test]
    fn ry90_maps_z_to_x() {
        let v = abc_to_rot(0.0, 90.0, 0.0) * Vector3::z();
        assert!((v - Vector3::x()).norm() < 1e-12);
    }
}
