//! Forward and analytic inverse kinematics of ortho-parallel-wrist (OPW) arms,
//! with KUKA's Status and Turn. Poses are flange poses in the robot base (ROBROOT), mm.

use nalgebra::{Isometry3, Rotation3, Translation3, UnitQuaternion, Vector3};

use super::robot::RobotModel;

/// One IK solution: axis angles in degrees and KUKA's S and T.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IkSolution {
    pub axes_deg: [f64; 6],
    pub status: u8,
    pub turn: u8,
}

fn rz(t: f64) -> Rotation3<f64> {
    Rotation3::from_axis_angle(&Vector3::z_axis(), t)
}
fn ry(t: f64) -> Rotation3<f64> {
    Rotation3::from_axis_angle(&Vector3::y_axis(), t)
}

fn to_theta(model: &RobotModel, q_deg: &[f64; 6]) -> [f64; 6] {
    let g = &model.geometry;
    std::array::from_fn(|i| (g.signs[i] * q_deg[i] - g.offsets_deg[i]).to_radians())
}

fn from_theta(model: &RobotModel, theta: &[f64; 6]) -> [f64; 6] {
    let g = &model.geometry;
    std::array::from_fn(|i| (theta[i].to_degrees() + g.offsets_deg[i]) * g.signs[i])
}

/// Frames along the arm for drawing and collision shapes, in the robot base (mm):
/// 0 base, 1 carousel (A1), 2 upper arm at A2, 3 at A3, 4 forearm at the A3-A4 offset,
/// 5 wrist centre, 6 flange.
pub fn link_frames(model: &RobotModel, q_deg: &[f64; 6]) -> [Isometry3<f64>; 7] {
    let g = &model.geometry;
    let t = to_theta(model, q_deg);
    let r1 = rz(t[0]);
    let p_a2 = r1 * Vector3::new(g.a1, g.b, g.c1);
    let r2 = r1 * ry(t[1]);
    let p_a3 = p_a2 + r2 * Vector3::new(0.0, 0.0, g.c2);
    let r3 = r1 * ry(t[1] + t[2]);
    let p_el = p_a3 + r3 * Vector3::new(g.a2, 0.0, 0.0);
    let p_wc = p_el + r3 * Vector3::new(0.0, 0.0, g.c3);
    let r4 = r3 * rz(t[3]);
    let r5 = r4 * ry(t[4]);
    let r6 = r5 * rz(t[5]);
    let p_fl = p_wc + r6 * Vector3::new(0.0, 0.0, g.c4);
    let iso = |p: Vector3<f64>, r: Rotation3<f64>| Isometry3::from_parts(Translation3::from(p), UnitQuaternion::from_rotation_matrix(&r));
    [Isometry3::identity(), iso(Vector3::zeros(), r1), iso(p_a2, r2), iso(p_a3, r3), iso(p_el, r4), iso(p_wc, r5), iso(p_fl, r6)]
}

/// Flange pose in the robot base for axis angles in degrees.
pub fn fk(model: &RobotModel, q_deg: &[f64; 6]) -> Isometry3<f64> {
    link_frames(model, q_deg)[6]
}

/// KUKA Status bits: 0 wrist point behind A1 (overhead), 1 A3 at or past the stretched elbow, 2 A5 <= 0.
pub fn status_of(model: &RobotModel, q_deg: &[f64; 6]) -> u8 {
    let g = &model.geometry;
    let t = to_theta(model, q_deg);
    let k = (g.a2 * g.a2 + g.c3 * g.c3).sqrt();
    let psi3 = g.a2.atan2(g.c3);
    let wx = g.c2 * t[1].sin() + k * (t[1] + t[2] + psi3).sin() + g.a1;
    let phi_deg = -psi3.to_degrees();
    // A hair's tolerance so that an axis at exactly 0 (or at the elbow's straight angle)
    // gets the same bits whatever rounding the IK left on it.
    let mut s = 0;
    if wx < -1e-9 {
        s |= 1;
    }
    if q_deg[2] >= phi_deg - 1e-9 {
        s |= 2;
    }
    if q_deg[4] <= 1e-9 {
        s |= 4;
    }
    s
}

/// KUKA Turn bits: bit i set when axis i+1 is negative.
pub fn turn_of(q_deg: &[f64; 6]) -> u8 {
    (0..6).filter(|&i| q_deg[i] < -1e-9).fold(0, |t, i| t | (1 << i))
}

/// `norm_deg` without the division for the angles IK makes (within +-720 degrees): subtracting
/// 360 from such an angle is exact, so the result is the same to the bit.
fn wrap_deg(mut d: f64) -> f64 {
    if d.is_nan() || d.abs() >= 720.0 {
        return super::math::norm_deg(d);
    }
    let sign = d;
    while d > 180.0 {
        d -= 360.0;
    }
    while d <= -180.0 {
        d += 360.0;
    }
    // A multiple of 360 keeps its sign, as the remainder does (-360 -> -0).
    if d == 0.0 { 0.0f64.copysign(sign) } else { d }
}

fn acos_checked(x: f64) -> Option<f64> {
    if x.abs() <= 1.0 + 1e-12 { Some(x.clamp(-1.0, 1.0).acos()) } else { None }
}

/// All IK solutions of a flange pose (robot base, mm) within the software limits,
/// including the +-360 degree branches of every axis whose range allows them.
pub fn ik(model: &RobotModel, flange: &Isometry3<f64>) -> Vec<IkSolution> {
    let mut out = Vec::with_capacity(32);
    ik_each(model, flange, |s| out.push(s));
    out
}

/// Calls `f` for every IK solution (see [`ik`]) without allocating.
pub fn ik_each(model: &RobotModel, flange: &Isometry3<f64>, mut f: impl FnMut(IkSolution)) {
    let psi3 = model.geometry.a2.atan2(model.geometry.c3);
    let phi_deg = -psi3.to_degrees();
    ik_raw_each_with(model, flange, psi3, |q, overhead| {
        // The same bits as `status_of`, from what the solver already knows.
        let status = overhead as u8 | ((q[2] >= phi_deg - 1e-9) as u8) << 1 | ((q[4] <= 1e-9) as u8) << 2;
        emit_branches(model, q, status, &mut f)
    });
}

/// The solution with each axis taken on the +-360 branch nearest to `prev`, ignoring the
/// software limits (the caller checks them), of the configuration closest to `prev`.
pub fn ik_near(model: &RobotModel, flange: &Isometry3<f64>, prev: &[f64; 6]) -> Option<[f64; 6]> {
    let mut best: Option<([f64; 6], f64)> = None;
    ik_raw_each(model, flange, |mut q| {
        for i in 0..6 {
            q[i] += ((prev[i] - q[i]) / 360.0).round() * 360.0;
        }
        let d = max_delta(&q, prev);
        if best.is_none_or(|(_, bd)| d < bd) {
            best = Some((q, d));
        }
    });
    best.map(|(q, _)| q)
}

/// Up to 8 solutions, each axis in (-180, 180], limits not applied.
pub fn ik_raw_each(model: &RobotModel, flange: &Isometry3<f64>, mut f: impl FnMut([f64; 6])) {
    ik_raw_each_with(model, flange, model.geometry.a2.atan2(model.geometry.c3), |q, _| f(q));
}

/// As [`ik_raw_each`], also telling whether the wrist centre is behind A1 (Status bit 0).
/// `psi3` is the elbow's offset angle, atan2(a2, c3).
fn ik_raw_each_with(model: &RobotModel, flange: &Isometry3<f64>, psi3: f64, mut f: impl FnMut([f64; 6], bool)) {
    let g = &model.geometry;
    let r = flange.rotation.to_rotation_matrix();
    let p = flange.translation.vector;
    let c = p - g.c4 * (r * Vector3::z());
    let (cx, cy, cz) = (c.x, c.y, c.z);

    let nx1_sq = cx * cx + cy * cy - g.b * g.b;
    if nx1_sq < 0.0 {
        return;
    }
    let nx1 = nx1_sq.sqrt() - g.a1;
    let dz = cz - g.c1;
    let s1_sq = nx1 * nx1 + dz * dz;
    let s2_sq = (nx1 + 2.0 * g.a1).powi(2) + dz * dz;
    let k_sq = g.a2 * g.a2 + g.c3 * g.c3;
    let k = k_sq.sqrt();
    let s1 = s1_sq.sqrt();
    let s2 = s2_sq.sqrt();

    let base = cy.atan2(cx);
    // atan2(0, x) is 0 or pi: most arms have no shoulder offset b.
    let off = if g.b == 0.0 && !(nx1 + g.a1).is_nan() {
        let x = nx1 + g.a1;
        if x > 0.0 || (x == 0.0 && x.is_sign_positive()) { g.b } else { std::f64::consts::PI.copysign(g.b) }
    } else {
        g.b.atan2(nx1 + g.a1)
    };
    let th1_i = base - off;
    let th1_ii = base + off - std::f64::consts::PI;

    let mut arms: [(f64, f64, f64); 4] = [(f64::NAN, 0.0, 0.0); 4];
    // Arms 0 and 1 keep the wrist centre in front of A1, arms 2 and 3 reach over behind it.
    let front = nx1 + g.a1;
    if s1 > 1e-12
        && let (Some(a2), Some(a3)) =
            (acos_checked((s1_sq + g.c2 * g.c2 - k_sq) / (2.0 * s1 * g.c2)), acos_checked((s1_sq - g.c2 * g.c2 - k_sq) / (2.0 * g.c2 * k)))
    {
        let at = nx1.atan2(dz);
        arms[0] = (th1_i, -a2 + at, a3 - psi3);
        arms[1] = (th1_i, a2 + at, -a3 - psi3);
    }
    if s2 > 1e-12
        && let (Some(a2), Some(a3)) =
            (acos_checked((s2_sq + g.c2 * g.c2 - k_sq) / (2.0 * s2 * g.c2)), acos_checked((s2_sq - g.c2 * g.c2 - k_sq) / (2.0 * g.c2 * k)))
    {
        let at = (nx1 + 2.0 * g.a1).atan2(dz);
        arms[2] = (th1_ii, -a2 - at, a3 - psi3);
        arms[3] = (th1_ii, a2 - at, -a3 - psi3);
    }

    // The wrist's rotation m = (Rz(t1) Ry(t2 + t3))^T r, row by row: u = Rz(t1)^T r (once per
    // A1 angle), then m = Ry(t2 + t3)^T u.
    let r = r.matrix();
    let row = |i: usize| [r[(i, 0)], r[(i, 1)], r[(i, 2)]];
    let (r0, r1, r2) = (row(0), row(1), row(2));
    let rz_t = |t: f64| {
        let (s, c) = t.sin_cos();
        let u0: [f64; 3] = std::array::from_fn(|j| c * r0[j] + s * r1[j]);
        let u1: [f64; 3] = std::array::from_fn(|j| -s * r0[j] + c * r1[j]);
        (u0, u1)
    };
    let (u_i, u_ii) = (rz_t(th1_i), rz_t(th1_ii));
    for (arm, &(t1, t2, t3)) in arms.iter().enumerate().filter(|(_, a)| !a.0.is_nan()) {
        let overhead = if arm < 2 { front < -1e-9 } else { front > 1e-9 };
        let (u0, u1) = if arm < 2 { u_i } else { u_ii };
        let (s, c) = (t2 + t3).sin_cos();
        let m0: [f64; 3] = std::array::from_fn(|j| c * u0[j] - s * r2[j]);
        let m2: [f64; 3] = std::array::from_fn(|j| s * u0[j] + c * r2[j]);
        let m1 = u1;
        let sxy = (m0[2] * m0[2] + m1[2] * m1[2]).sqrt();
        let wrists: [(f64, f64, f64); 2] = if sxy > 1e-9 {
            let t5 = sxy.atan2(m2[2]);
            let t4 = m1[2].atan2(m0[2]);
            let t6 = m2[1].atan2(-m2[0]);
            let pi = std::f64::consts::PI;
            [(t4, t5, t6), (t4 + pi, -t5, t6 + pi)]
        } else if m2[2] > 0.0 {
            // Wrist singularity (A5 = 0): only A4 + A6 is defined; put it all on A6.
            let t46 = m1[0].atan2(m0[0]);
            [(0.0, 0.0, t46), (f64::NAN, 0.0, 0.0)]
        } else {
            [(f64::NAN, 0.0, 0.0); 2]
        };
        for &(t4, t5, t6) in wrists.iter().filter(|w| !w.0.is_nan()) {
            let theta = [t1, t2, t3, t4, t5, t6];
            let mut q = from_theta(model, &theta);
            for a in q.iter_mut() {
                *a = wrap_deg(*a);
            }
            f(q, overhead);
        }
    }
}

/// Emits `q` and every variant of it that differs by +-360 degrees on some axes, within limits.
fn emit_branches(model: &RobotModel, q: [f64; 6], status: u8, f: &mut impl FnMut(IkSolution)) {
    let mut choices: [[f64; 3]; 6] = [[f64::NAN; 3]; 6];
    let mut counts = [0usize; 6];
    for i in 0..6 {
        for k in [-360.0, 0.0, 360.0] {
            let v = q[i] + k;
            if v >= model.min_deg[i] - 1e-9 && v <= model.max_deg[i] + 1e-9 {
                choices[i][counts[i]] = v;
                counts[i] += 1;
            }
        }
        if counts[i] == 0 {
            return;
        }
    }
    let mut idx = [0usize; 6];
    loop {
        let axes: [f64; 6] = std::array::from_fn(|i| choices[i][idx[i]]);
        f(IkSolution { axes_deg: axes, status, turn: turn_of(&axes) });
        let mut i = 0;
        loop {
            idx[i] += 1;
            if idx[i] < counts[i] {
                break;
            }
            idx[i] = 0;
            i += 1;
            if i == 6 {
                return;
            }
        }
    }
}

/// A configuration where the arm loses a degree of freedom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Singularity {
    /// A5 = 0: A4 and A6 line up.
    Wrist,
    /// The wrist centre on the A1 axis.
    Overhead,
    /// The arm stretched: A3 at the elbow's straight position.
    Elbow,
}

impl std::fmt::Display for Singularity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Singularity::Wrist => "wrist singularity (A5 near 0)",
            Singularity::Overhead => "overhead singularity (wrist centre on the A1 axis)",
            Singularity::Elbow => "elbow singularity (arm stretched)",
        })
    }
}

/// Singular configurations within `tol_deg` (and `tol_deg` * 10 mm for the overhead case).
pub fn singularities(model: &RobotModel, q_deg: &[f64; 6], tol_deg: f64) -> Vec<Singularity> {
    let g = &model.geometry;
    let t = to_theta(model, q_deg);
    let k = (g.a2 * g.a2 + g.c3 * g.c3).sqrt();
    let psi3 = g.a2.atan2(g.c3);
    let wx = g.c2 * t[1].sin() + k * (t[1] + t[2] + psi3).sin() + g.a1;
    let mut out = Vec::new();
    if q_deg[4].abs() < tol_deg {
        out.push(Singularity::Wrist);
    }
    if (wx * wx + g.b * g.b).sqrt() < tol_deg * 10.0 {
        out.push(Singularity::Overhead);
    }
    if (q_deg[2] + psi3.to_degrees()).abs() < tol_deg {
        out.push(Singularity::Elbow);
    }
    out
}

/// The solution nearest to `from` (largest single-axis move smallest), optionally with a required status.
pub fn nearest(sols: &[IkSolution], from: &[f64; 6], status: Option<u8>) -> Option<IkSolution> {
    sols.iter()
        .filter(|s| status.is_none_or(|st| s.status == st))
        .min_by(|a, b| max_delta(&a.axes_deg, from).total_cmp(&max_delta(&b.axes_deg, from)))
        .copied()
}

/// The largest absolute difference between two axis sets, degrees.
pub fn max_delta(a: &[f64; 6], b: &[f64; 6]) -> f64 {
    (0..6).map(|i| (a[i] - b[i]).abs()).fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::math::Frame;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    #[test]
    fn fk_at_home_matches_check_value() {
        let m = RobotModel::kr6_r900_sixx();
        let f = Frame::from_iso(&fk(&m, &m.home_deg));
        assert!((f.x - 525.0).abs() < 1e-9 && f.y.abs() < 1e-9 && (f.z - 890.0).abs() < 1e-9, "{f:?}");
        assert!(f.a.abs() < 1e-9 && (f.b - 90.0).abs() < 1e-9 && f.c.abs() < 1e-9, "{f:?}");
    }

    #[test]
    fn home_is_status_6_turn_2() {
        let m = RobotModel::kr6_r900_sixx();
        assert_eq!(status_of(&m, &m.home_deg), 6);
        assert_eq!(turn_of(&m.home_deg), 2);
    }

    #[test]
    fn wrap_deg_is_norm_deg_to_the_bit() {
        let mut rng = StdRng::seed_from_u64(3);
        let edges = [-720.0, -540.0, -360.0, -180.0, -0.0, 0.0, 180.0, 360.0, 540.0, 719.999, 1e6, f64::NAN];
        for d in edges.into_iter().chain((0..100_000).map(|_| rng.random_range(-800.0..800.0))) {
            let (a, b) = (wrap_deg(d), crate::sim::math::norm_deg(d));
            assert!(a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan(), "{d}: {a} vs {b}");
        }
    }

    #[test]
    fn ik_round_trip_on_random_poses() {
        for (m, n) in [(RobotModel::kr6_r900_sixx(), 100_000), (RobotModel::kr6_r700_sixx(), 5000), (RobotModel::kr16_2(), 5000)] {
            let mut rng = StdRng::seed_from_u64(7);
            for _ in 0..n {
                let q: [f64; 6] = std::array::from_fn(|i| rng.random_range(m.min_deg[i]..m.max_deg[i]));
                if q[4].abs() < 1e-3 {
                    continue;
                }
                let pose = fk(&m, &q);
                let sols = ik(&m, &pose);
                assert!(sols.iter().any(|s| max_delta(&s.axes_deg, &q) < 1e-6), "{} {q:?} not among {sols:?}", m.name);
                for s in &sols {
                    assert_eq!(s.status, status_of(&m, &s.axes_deg), "{} {:?}", m.name, s.axes_deg);
                    let p2 = fk(&m, &s.axes_deg);
                    assert!((p2.translation.vector - pose.translation.vector).norm() < 1e-6);
                    assert!(p2.rotation.angle_to(&pose.rotation) < 1e-6);
                }
            }
        }
    }

    #[test]
    fn singular_configurations_are_named() {
        let m = RobotModel::kr6_r900_sixx();
        assert_eq!(singularities(&m, &m.home_deg, 0.5), vec![Singularity::Wrist]);
        let phi = -(m.geometry.a2.atan2(m.geometry.c3)).to_degrees();
        assert!(singularities(&m, &[0.0, -40.0, phi, 0.0, 30.0, 0.0], 0.5).contains(&Singularity::Elbow));
        // Wrist centre on the A1 axis, worked out by hand: with A3 = 90 its distance from the axis
        // is a1 + (c2 - a2) sin t2 + c3 cos t2 = 25 + 490 sin t2 + 420 cos t2 (t2 = A2 + 90),
        // zero at t2 = -asin(25 / 645.37) - atan2(420, 490) = -42.8214 degrees: A2 = -132.8214.
        let q = [0.0, -132.8214, 90.0, 0.0, 30.0, 0.0];
        let wc = link_frames(&m, &q)[5].translation.vector;
        assert!((wc.x * wc.x + wc.y * wc.y).sqrt() < 0.05, "the wrist centre is over A1: {wc:?}");
        assert!(singularities(&m, &q, 0.5).contains(&Singularity::Overhead));
        // Two degrees of A2 further on, the wrist centre is some 22 mm off the axis: not singular.
        assert!(!singularities(&m, &[0.0, -130.8214, 90.0, 0.0, 30.0, 0.0], 0.5).contains(&Singularity::Overhead));
        assert!(singularities(&m, &[10.0, -60.0, 80.0, 20.0, 40.0, 0.0], 0.5).is_empty());
    }

    #[test]
    fn ik_at_the_wrist_singularity_still_reaches_the_pose() {
        let m = RobotModel::kr6_r900_sixx();
        let pose = fk(&m, &m.home_deg);
        let sols = ik(&m, &pose);
        assert!(!sols.is_empty());
        for s in &sols {
            let p2 = fk(&m, &s.axes_deg);
            assert!((p2.translation.vector - pose.translation.vector).norm() < 1e-6);
            assert!(p2.rotation.angle_to(&pose.rotation) < 1e-6);
        }
    }

    #[test]
    fn unreachable_pose_has_no_solution() {
        let m = RobotModel::kr6_r900_sixx();
        let far = Frame::new(2000.0, 0.0, 500.0, 0.0, 90.0, 0.0).to_iso();
        assert!(ik(&m, &far).is_empty());
    }
}
