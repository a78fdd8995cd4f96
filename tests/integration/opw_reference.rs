//! Our kinematics against rs-opw-kinematics, an independent OPW implementation, on random poses.

use nalgebra::{Quaternion, UnitQuaternion, Vector3};
use rand::{Rng, SeedableRng, rngs::StdRng};
use robocell::sim::kinematics::{fk, ik, max_delta};
use robocell::sim::robot::RobotModel;
use rs_opw_kinematics::kinematic_traits::Kinematics;
use rs_opw_kinematics::kinematics_impl::OPWKinematics;
use rs_opw_kinematics::parameters::opw_kinematics::Parameters;

fn reference(m: &RobotModel) -> OPWKinematics {
    let g = &m.geometry;
    let mut p = Parameters::new();
    p.a1 = g.a1 / 1000.0;
    p.a2 = g.a2 / 1000.0;
    p.b = g.b / 1000.0;
    p.c1 = g.c1 / 1000.0;
    p.c2 = g.c2 / 1000.0;
    p.c3 = g.c3 / 1000.0;
    p.c4 = g.c4 / 1000.0;
    p.offsets = g.offsets_deg.map(f64::to_radians);
    p.sign_corrections = g.signs.map(|s| s as i8);
    OPWKinematics::new(p)
}

#[test]
fn forward_and_inverse_agree_with_rs_opw_kinematics() {
    for m in [RobotModel::kr6_r900_sixx(), RobotModel::kr6_r700_sixx(), RobotModel::kr16_2()] {
        let theirs = reference(&m);
        let mut rng = StdRng::seed_from_u64(3);
        let mut compared = 0;
        for _ in 0..2000 {
            let q: [f64; 6] = std::array::from_fn(|i| rng.random_range(m.min_deg[i]..m.max_deg[i]));
            let ours = fk(&m, &q);
            let t = theirs.forward(&q.map(f64::to_radians));
            let tp = Vector3::new(t.translation.x, t.translation.y, t.translation.z) * 1000.0;
            assert!((ours.translation.vector - tp).norm() < 1e-6, "{}: FK position differs at {q:?}", m.name);
            let tr = UnitQuaternion::from_quaternion(Quaternion::new(t.rotation.w, t.rotation.x, t.rotation.y, t.rotation.z));
            assert!(ours.rotation.angle_to(&tr) < 1e-9, "{}: FK orientation differs at {q:?}", m.name);
            // Every one of their IK solutions within our limits is one of ours.
            if q[4].abs() < 1.0 {
                continue;
            }
            let our_sols = ik(&m, &ours);
            for s in theirs.inverse(&t) {
                let deg = s.map(f64::to_degrees);
                if m.limit_violation(&deg).is_some() {
                    continue;
                }
                assert!(our_sols.iter().any(|o| max_delta(&o.axes_deg, &deg) < 1e-6), "{}: their {deg:?} is missing among ours", m.name);
                compared += 1;
            }
        }
        assert!(compared > 2000, "{}: {compared} solutions compared", m.name);
    }
}
