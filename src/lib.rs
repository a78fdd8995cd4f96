#[cfg(feature = "app")]
pub mod app;
pub mod sim;
