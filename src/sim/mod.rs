//! The simulation core: bevy-free, deterministic, advanced by one `step()`.

pub mod cell;
pub mod kinematics;
pub mod krl;
pub mod math;
pub mod motion;
pub mod physics;
pub mod robot;
pub mod scenario;
