//! The app driven headless: bevy's MinimalPlugins, the sim plugin, a manual clock.

use std::time::Duration;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use robocell::app::scene::{PartEntity, RobotLink};
use robocell::app::{Sim, SimPlugin, convert};
use robocell::sim::cell::{Cell, Command, ProgramState};

use super::default_scenario;

#[test]
fn app_steps_the_cell_and_moves_the_robot_and_parts() {
    let (cell, _) = Cell::new(default_scenario()).unwrap();
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(50)))
        .insert_resource(Sim::new(cell, Vec::new()))
        .add_plugins(SimPlugin);
    app.world_mut().resource_mut::<Sim>().pending.push(Command::Start);
    for _ in 0..200 {
        app.update();
    }
    let world = app.world_mut();
    let sim = world.resource::<Sim>();
    assert_eq!(sim.cell.state(), ProgramState::Running);
    assert!(sim.cell.time_s() > 8.0, "the clock drove the cell: {}", sim.cell.time_s());
    let frames = sim.cell.link_frames_world();
    let n_parts = sim.cell.parts().len();
    let mut links = world.query::<(&RobotLink, &Transform)>();
    let got: Vec<(usize, Transform)> = links.iter(world).map(|(l, t)| (l.0, *t)).collect();
    assert_eq!(got.len(), 7);
    for (i, t) in got {
        let want = convert::transform(&frames[i]);
        assert!((t.translation - want.translation).length() < 1e-4, "link {i}");
    }
    let mut parts = world.query::<&PartEntity>();
    assert!(n_parts > 0);
    assert_eq!(parts.iter(world).count(), n_parts);
}
