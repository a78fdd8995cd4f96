//! Prints axis angles, S and T for TCP poses of the default tool, as the smartPAD would teach them.
use robocell::sim::kinematics::{ik, nearest};
use robocell::sim::math::Frame;
use robocell::sim::robot::RobotModel;

fn main() {
    let m = RobotModel::kr6_r900_sixx();
    let tool = Frame::new(0.0, 0.0, 160.0, 0.0, 0.0, 0.0).to_iso();
    let args: Vec<f64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    for p in args.chunks(6) {
        let f = Frame::new(p[0], p[1], p[2], p[3], p[4], p[5]);
        let flange = f.to_iso() * tool.inverse();
        let sols = ik(&m, &flange);
        match nearest(&sols, &m.home_deg, None) {
            Some(s) => println!("{f:?} -> {:?} S {} T {}", s.axes_deg.map(|a| (a * 100.0).round() / 100.0), s.status, s.turn),
            None => println!("{f:?} unreachable"),
        }
    }
}
