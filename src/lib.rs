#[cfg(feature = "app")]
pub mod app;
pub mod bench;
pub mod grading;
pub mod sim;
