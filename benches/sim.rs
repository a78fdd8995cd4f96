//! Benchmarks of the simulation core: kinematics, planning, KRL, and whole-cell ticks.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use robocell::sim::cell::Cell;
use robocell::sim::kinematics::{fk, ik};
use robocell::sim::math::Frame;
use robocell::sim::motion::{CpParams, OriType, PtpParams, plan_lin, plan_ptp};
use robocell::sim::robot::RobotModel;
use robocell::sim::scenario::Scenario;

fn kinematics(c: &mut Criterion) {
    let m = RobotModel::kr6_r900_sixx();
    let q = [20.0, -70.0, 95.0, 30.0, 40.0, -60.0];
    let pose = fk(&m, &q);
    c.bench_function("fk", |b| b.iter(|| fk(&m, black_box(&q))));
    c.bench_function("ik_all_solutions", |b| b.iter(|| ik(&m, black_box(&pose))));
    let ptp = PtpParams { vel_axis_pct: [100.0; 6], acc_axis_pct: [100.0; 6], override_pct: 100.0 };
    let end = [90.0, -60.0, 100.0, 30.0, -40.0, 120.0];
    c.bench_function("plan_ptp_whole_motion", |b| b.iter(|| plan_ptp(&m, black_box(&m.home_deg), &end, &ptp, 0.004)));
    let tool = Frame::new(0.0, 0.0, 160.0, 0.0, 0.0, 0.0).to_iso();
    let start = [0.0, -80.0, 100.0, 0.0, 40.0, 0.0];
    let mut target = fk(&m, &start) * tool;
    target.translation.vector += nalgebra::Vector3::new(0.0, 200.0, -100.0);
    let lin = CpParams { vel_m_s: 1.0, acc_m_s2: 2.3, vel_ori_deg_s: 200.0, override_pct: 100.0, ori: OriType::Var, tcp_cap_mm_s: None };
    let traj = plan_lin(&m, &start, &tool, &target, &lin, 0.004);
    let n = traj.samples.len();
    c.bench_function(&format!("plan_lin_whole_motion_{n}_ticks"), |b| {
        b.iter(|| plan_lin(&m, black_box(&start), &tool, &target, &lin, 0.004))
    });
}

fn krl(c: &mut Criterion) {
    let body: String = (0..250).map(|i| format!("  a = a + {i} * 2\n  IF a > 100 THEN\n    a = 0\n  ENDIF\n")).collect();
    let src = format!("DEF bench( )\n  DECL INT a\n  a = 0\n{body}END\n");
    let lines = src.lines().count();
    c.bench_function(&format!("parse_{lines}_lines"), |b| b.iter(|| robocell::sim::krl::parse_module("bench.src", black_box(&src), None)));
}

fn cell(c: &mut Criterion) {
    let loaded = Scenario::load(Path::new("scenarios/pick_and_place.ron")).expect("run benches from the repository root");
    let mut group = c.benchmark_group("cell");
    group.sample_size(10);
    group.bench_function("check_default_scenario_to_pass", |b| {
        b.iter(|| {
            let (mut cell, _) = Cell::new(loaded.clone()).unwrap();
            let r = cell.run_to_end();
            assert!(r.passed);
            r.sim_time_s
        })
    });
    group.finish();
}

criterion_group!(benches, kinematics, krl, cell);
criterion_main!(benches);
