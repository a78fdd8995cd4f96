//! The I/O image the controller and the cell share: `$IN[1..4096]` written by the cell's
//! sensors, `$OUT[1..4096]` written by the program and read by the cell's actuators.

/// Highest I/O number (`$IN[4096]`, `$OUT[4096]`).
pub const IO_COUNT: usize = 4096;

#[derive(Clone, Debug, PartialEq)]
pub struct Io {
    /// Index 0 is unused: KRL numbers I/O from 1.
    pub inputs: Vec<bool>,
    pub outputs: Vec<bool>,
}

impl Default for Io {
    fn default() -> Self {
        Io { inputs: vec![false; IO_COUNT + 1], outputs: vec![false; IO_COUNT + 1] }
    }
}
