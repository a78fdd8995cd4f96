pub mod sim;
#[cfg(feature = "app")]
pub mod app;
