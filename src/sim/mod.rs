//! The simulation core: bevy-free, deterministic, advanced by one `World::step()`.

pub mod cell;
pub mod controller;
pub mod exercise;
pub mod io;
pub mod kinematics;
pub mod krl;
pub mod math;
pub mod motion;
pub mod orders;
pub mod record;
pub mod robot;
pub mod scenario;
pub mod timeline;
pub mod trace;
pub mod world;
