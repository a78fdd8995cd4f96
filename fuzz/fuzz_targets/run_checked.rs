//! What the run targets check: a loaded world runs 300 ticks from Start without a panic, and the
//! robot's axes and the parts' poses stay finite.

use robocell::sim::world::{Command, World};

pub fn run_checked(world: &mut World) {
    world.step(&[Command::Start]);
    for _ in 0..300 {
        world.step(&[]);
        assert!(world.axes_deg().iter().all(|a| a.is_finite()), "axes {:?}", world.axes_deg());
        assert!(world.parts().iter().all(|p| p.pose.translation.vector.iter().all(|v| v.is_finite())), "a part's pose is not finite");
    }
}
