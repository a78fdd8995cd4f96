//! The one place where robocell's f64 millimetre frames meet rapier's f32 metre types.

use nalgebra::{Isometry3, Quaternion, Translation3, UnitQuaternion, Vector3};
use rapier3d::math::{Pose, Rotation, Vector};

pub fn vec_mm(v: &Vector3<f64>) -> Vector {
    Vector::new((v.x / 1000.0) as f32, (v.y / 1000.0) as f32, (v.z / 1000.0) as f32)
}

pub fn to_mm(v: Vector) -> Vector3<f64> {
    Vector3::new(v.x as f64 * 1000.0, v.y as f64 * 1000.0, v.z as f64 * 1000.0)
}

pub fn pose_mm(iso: &Isometry3<f64>) -> Pose {
    let q = iso.rotation.quaternion();
    Pose::from_parts(vec_mm(&iso.translation.vector), Rotation::from_xyzw(q.i as f32, q.j as f32, q.k as f32, q.w as f32))
}

pub fn iso_mm(p: &Pose) -> Isometry3<f64> {
    let r = p.rotation;
    Isometry3::from_parts(
        Translation3::from(to_mm(p.translation)),
        UnitQuaternion::from_quaternion(Quaternion::new(r.w as f64, r.x as f64, r.y as f64, r.z as f64)),
    )
}
