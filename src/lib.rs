#[cfg(feature = "app")]
pub mod app;
pub mod bench;
pub mod grading;
#[cfg(feature = "net")]
pub mod net;
pub mod sim;
