#[cfg(feature = "app")]
pub mod app;
pub mod bench;
pub mod course;
pub mod grading;
#[cfg(feature = "net")]
pub mod net;
pub mod sim;
