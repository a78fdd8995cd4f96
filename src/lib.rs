#[cfg(feature = "app")]
pub mod app;
pub mod grading;
pub mod sim;
