//! The I/O image the controller and the cell share: `$IN[1..4096]` written by the cell's
//! sensors, `$OUT[1..4096]` written by the program and read by the cell's actuators, and the
//! analog inputs `$ANIN[1..32]` (-1.0 ..= 1.0) written by analog sensors.

/// Highest I/O number (`$IN[4096]`, `$OUT[4096]`).
pub const IO_COUNT: usize = 4096;

/// Highest analog input number (`$ANIN[32]`).
pub const ANIN_COUNT: usize = 32;

#[derive(Clone, Debug, PartialEq)]
pub struct Io {
    /// Index 0 is unused: KRL numbers I/O from 1.
    pub inputs: Vec<bool>,
    pub outputs: Vec<bool>,
    /// `$ANIN[n]`, index 0 unused.
    pub analog_in: Vec<f64>,
    /// `$ANOUT[n]` written by the program, index 0 unused.
    pub analog_out: Vec<f64>,
}

impl Default for Io {
    fn default() -> Self {
        Io {
            inputs: vec![false; IO_COUNT + 1],
            outputs: vec![false; IO_COUNT + 1],
            analog_in: vec![0.0; ANIN_COUNT + 1],
            analog_out: vec![0.0; ANIN_COUNT + 1],
        }
    }
}
