//! Benchmarks of the simulation core: kinematics, motion planning, KRL, and whole-cell runs.
//! Run from the repository root: `cargo bench --no-default-features`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use robocell::sim::kinematics::{fk, ik};
use robocell::sim::math::Frame;
use robocell::sim::motion::{CartPath, CpParams, PtpParams, plan_cartesian, plan_lin, plan_ptp};
use robocell::sim::robot::RobotModel;
use robocell::sim::scenario::Scenario;
use robocell::sim::world::World;

const DT: f64 = 0.004;

fn kinematics(c: &mut Criterion) {
    let m = RobotModel::kr6_r900_sixx();
    let q = [20.0, -70.0, 95.0, 30.0, 40.0, -60.0];
    let pose = fk(&m, &q);
    c.bench_function("fk", |b| b.iter(|| fk(&m, black_box(&q))));
    c.bench_function("ik_all_solutions", |b| b.iter(|| ik(&m, black_box(&pose))));
}

/// robocell's IK beside rs-opw-kinematics (an independent OPW implementation) on the same 256
/// seeded poses. Ours returns every solution within the software limits (with the +-360 degree
/// branches of A4 and A6) and its S and T; theirs the 8 OPW solutions.
fn ik_side_by_side(c: &mut Criterion) {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    use rs_opw_kinematics::kinematic_traits::Kinematics;
    use rs_opw_kinematics::kinematics_impl::OPWKinematics;
    use rs_opw_kinematics::parameters::opw_kinematics::Parameters;
    let m = RobotModel::kr6_r900_sixx();
    let g = &m.geometry;
    let mut p = Parameters::new();
    (p.a1, p.a2, p.b, p.c1, p.c2, p.c3, p.c4) = (g.a1 / 1e3, g.a2 / 1e3, g.b / 1e3, g.c1 / 1e3, g.c2 / 1e3, g.c3 / 1e3, g.c4 / 1e3);
    p.offsets = g.offsets_deg.map(f64::to_radians);
    p.sign_corrections = g.signs.map(|s| s as i8);
    let theirs = OPWKinematics::new(p);
    let mut rng = StdRng::seed_from_u64(7);
    let qs: Vec<[f64; 6]> = (0..256).map(|_| std::array::from_fn(|i| rng.random_range(m.min_deg[i]..m.max_deg[i]))).collect();
    let ours_poses: Vec<_> = qs.iter().map(|q| fk(&m, q)).collect();
    let their_poses: Vec<_> = qs.iter().map(|q| theirs.forward(&q.map(f64::to_radians))).collect();
    let mut group = c.benchmark_group("ik_256_poses");
    group.bench_function("robocell", |b| b.iter(|| ours_poses.iter().map(|p| ik(&m, black_box(p)).len()).sum::<usize>()));
    group.bench_function("rs_opw_kinematics", |b| b.iter(|| their_poses.iter().map(|p| theirs.inverse(black_box(p)).len()).sum::<usize>()));
    group.finish();
}

/// Plans whole motions; the name carries the number of ticks, so time per tick = time / ticks.
fn motion(c: &mut Criterion) {
    let m = RobotModel::kr6_r900_sixx();
    let ptp = PtpParams { vel_axis_pct: [100.0; 6], acc_axis_pct: [100.0; 6], override_pct: 100.0 };
    let end = [90.0, -60.0, 100.0, 30.0, -40.0, 120.0];
    let n = plan_ptp(&m, &m.home_deg, &end, &ptp, DT).samples.len();
    c.bench_function(&format!("plan_ptp_{n}_ticks"), |b| b.iter(|| plan_ptp(&m, black_box(&m.home_deg), &end, &ptp, DT)));

    let tool = Frame::new(0.0, 0.0, 160.0, 0.0, 0.0, 0.0).to_iso();
    let start = [0.0, -80.0, 100.0, 0.0, 40.0, 0.0];
    let p0 = fk(&m, &start) * tool;
    let mut target = p0;
    target.translation.vector += nalgebra::Vector3::new(0.0, 200.0, -100.0);
    let cp = CpParams { vel_m_s: 1.0, ..CpParams::default() };
    let n = plan_lin(&m, &start, &tool, &target, &cp, DT).samples.len();
    c.bench_function(&format!("plan_lin_{n}_ticks"), |b| b.iter(|| plan_lin(&m, black_box(&start), &tool, &target, &cp, DT)));

    let v = p0.translation.vector;
    let arc = CartPath::arc(v, v + nalgebra::Vector3::new(-100.0, 100.0, 0.0), v + nalgebra::Vector3::new(-200.0, 0.0, 0.0), None).unwrap();
    let n = plan_cartesian(&m, &start, &tool, &arc, &p0.rotation, &cp, DT).samples.len();
    c.bench_function(&format!("plan_circ_{n}_ticks"), |b| {
        b.iter(|| plan_cartesian(&m, black_box(&start), &tool, &arc, &p0.rotation, &cp, DT))
    });
}

fn krl(c: &mut Criterion) {
    let body: String = (0..250).map(|i| format!("  a = a + {i} * 2\n  IF a > 100 THEN\n    a = 0\n  ENDIF\n")).collect();
    let src = format!("DEF bench( )\n  DECL INT a\n  a = 0\n{body}END\n");
    let lines = src.lines().count();
    c.bench_function(&format!("parse_{lines}_lines"), |b| b.iter(|| robocell::sim::krl::parse_module("bench.src", black_box(&src), None)));
}

/// The interpreter without a robot: nested loops over an array with arithmetic, a branch and
/// a function call. The name carries the number of operations, so time per op = time / ops.
fn interpreter(c: &mut Criterion) {
    use robocell::sim::krl::interp::{ConfigGlobals, NullEnv};
    use robocell::sim::krl::{Interpreter, Yield};
    let src = std::fs::read_to_string("benches/loops.src").expect("run benches from the repository root");
    let (module, diags) = robocell::sim::krl::parse_module("loops.src", &src, None);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    let cfg = ConfigGlobals::for_checks();
    let mut it = Interpreter::new(&module, &cfg).unwrap();
    let run = |it: &mut Interpreter| {
        it.reset();
        let before = it.ops_executed;
        let y = it.resume(&mut NullEnv, u32::MAX);
        assert!(matches!(y, Yield::Finished), "{y:?}");
        it.ops_executed - before
    };
    let ops = run(&mut it);
    c.bench_function(&format!("interpret_loops_{ops}_ops"), |b| b.iter(|| run(black_box(&mut it))));
}

fn cell(c: &mut Criterion) {
    let loaded = Scenario::load(Path::new("scenarios/pick_and_place.ron")).expect("run benches from the repository root");
    let (mut probe, _) = World::new(loaded.clone()).unwrap();
    let r = probe.run_to_end();
    let mut group = c.benchmark_group("cell");
    group.sample_size(10);
    group.bench_function(format!("check_default_scenario_{:.2}_sim_s_{}_ticks", r.end_s, probe.tick()), |b| {
        b.iter(|| {
            let (mut cell, _) = World::new(loaded.clone()).unwrap();
            let r = cell.run_to_end();
            assert!(cell.grade_this_run().full_marks());
            r.end_s
        })
    });
    // A recording of the same run, and its replay (parse excluded; the replay builds the world).
    let (mut world, _) = World::new(loaded.clone()).unwrap();
    world.start_recording();
    world.run_to_end();
    let rec = world.recording().unwrap();
    eprintln!("recording of the default check: {} bytes, {} steps, {} event hashes", rec.to_ron().len(), rec.steps, rec.events.len());
    group.bench_function(format!("replay_default_scenario_{}_steps", rec.steps), |b| {
        b.iter(|| assert!(matches!(rec.replay(), Ok(robocell::sim::record::Replay::Identical { .. }))))
    });
    group.finish();
}

/// Grading: 4 copies of the default program, each on the public run and the 3 variants, on 1
/// and on 2 threads (`benches/grade_class.sh` measures a class of 100).
fn grading(c: &mut Criterion) {
    use robocell::grading::{Exercise, Submission, grade_class};
    let ex = Exercise::load(Path::new("scenarios/pick_and_place.ron")).expect("run benches from the repository root");
    let subs: Vec<Submission> =
        (0..4).map(|i| Submission { name: format!("s{i}"), program: Ok(Path::new("scenarios/pick_place.src").to_path_buf()) }).collect();
    let mut group = c.benchmark_group("grading");
    group.sample_size(10);
    for jobs in [1, 2] {
        group.bench_function(format!("grade_4_submissions_x4_runs_jobs_{jobs}"), |b| {
            b.iter(|| {
                let class = grade_class(&ex, &subs, jobs, &|_: usize, _: usize| {});
                assert!(class.students.iter().all(|s| s.grade.full_marks()));
            })
        });
    }
}

/// The pendant: one edit as the editor sends it (the program parsed, checked and loaded again,
/// for the live diagnostics), one touch-up, one tick of a Cartesian jog.
fn pendant(c: &mut Criterion) {
    use robocell::sim::world::{Command, JogFrame, JogIncrement};
    let loaded = Scenario::load(Path::new("scenarios/pick_and_place.ron")).expect("run benches from the repository root");
    let (mut world, _) = World::new(loaded.clone()).unwrap();
    let file = loaded.src_path.clone();
    let (a, b) = (loaded.src.clone(), loaded.src.replacen("WAIT SEC 0.2", "WAIT SEC 0.2 +", 1));
    let mut group = c.benchmark_group("pendant");
    let mut flip = false;
    group.bench_function(format!("edit_reload_{}_lines", a.lines().count()), |bch| {
        bch.iter(|| {
            flip = !flip;
            world.step(&[Command::Edit { file: file.clone(), text: if flip { b.clone() } else { a.clone() } }])
        })
    });
    let teach = Scenario::load(Path::new("scenarios/teach.ron")).unwrap();
    let (mut world, _) = World::new(teach).unwrap();
    group.bench_function("touch_up", |bch| bch.iter(|| world.step(&[Command::TouchUp { line: 9, aux: false }])));
    world.step(&[Command::EnablingSwitch(true), Command::SetJogFrame(JogFrame::Axes), Command::SetJogIncrement(JogIncrement::Mm100)]);
    world.step(&[Command::Jog { key: 4, plus: true }]);
    for _ in 0..2000 {
        world.step(&[]);
    }
    world.step(&[Command::JogRelease, Command::SetJogFrame(JogFrame::World), Command::SetJogIncrement(JogIncrement::Continuous)]);
    world.step(&[Command::Jog { key: 1, plus: true }]);
    // Back and forth along World Y, so the jog never runs into a limit.
    let mut n = 0u32;
    group.bench_function("jog_tick_world", |bch| {
        bch.iter(|| {
            n += 1;
            if n.is_multiple_of(500) { world.step(&[Command::Jog { key: 1, plus: !n.is_multiple_of(1000) }]) } else { world.step(&[]) }
        })
    });
    group.finish();
}

criterion_group!(benches, kinematics, ik_side_by_side, motion, krl, interpreter, cell, grading, pendant);
criterion_main!(benches);
