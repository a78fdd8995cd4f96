//! Fixtures parts are set down on: tables, and pallets with a grid of named slots.

use nalgebra::{Isometry3, Translation3, UnitQuaternion, Vector3};
use serde::{Deserialize, Serialize};

use super::Point;
use crate::sim::math::Frame;

/// A table: a fixed block whose top parts can be set down on.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    pub name: String,
    /// Centre of the table's foot print on the floor (world, mm).
    pub center: Point,
    /// x, y, and the height of its top.
    pub size_mm: (f64, f64, f64),
    #[serde(default)]
    pub yaw_deg: f64,
    /// A drawing table: a pen that touches its top leaves a trail.
    #[serde(default)]
    pub drawing: bool,
}

/// A pallet: a plate with `rows` x `columns` slots named A1, A2, ... (row letter, column
/// number). Slot A1 sits at `origin`; columns go along the pallet's X, rows along its Y.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PalletSpec {
    pub name: String,
    /// Centre of slot A1 on the pallet's top face (world, mm).
    pub origin: Point,
    #[serde(default)]
    pub yaw_deg: f64,
    pub rows: u32,
    pub columns: u32,
    /// Distance between slot centres along X (columns) and Y (rows), mm.
    pub pitch_mm: (f64, f64),
    /// Plate thickness, mm (its top face is at `origin.z`).
    #[serde(default = "default_plate")]
    pub thickness_mm: f64,
    /// `BASE_DATA[n]` is measured on the pallet: its origin at slot A1, X along the columns.
    #[serde(default)]
    pub base: Option<usize>,
}

fn default_plate() -> f64 {
    20.0
}

impl PalletSpec {
    /// The pallet's frame: at slot A1 on the top face, X along the columns (world, mm).
    pub fn frame(&self) -> Isometry3<f64> {
        let o = &self.origin;
        Isometry3::from_parts(
            Translation3::new(o.x, o.y, o.z),
            UnitQuaternion::from_axis_angle(&Vector3::z_axis(), self.yaw_deg.to_radians()),
        )
    }

    /// The pallet's frame as a `BASE_DATA` entry.
    pub fn base_frame(&self) -> Frame {
        Frame::new(self.origin.x, self.origin.y, self.origin.z, self.yaw_deg, 0.0, 0.0)
    }

    /// Every slot: its name and its centre on the top face (world, mm).
    pub fn slots(&self) -> Vec<(String, Vector3<f64>)> {
        let f = self.frame();
        let mut out = Vec::new();
        for r in 0..self.rows {
            for c in 0..self.columns {
                let local = nalgebra::Point3::new(f64::from(c) * self.pitch_mm.0, f64::from(r) * self.pitch_mm.1, 0.0);
                out.push((slot_name(r, c), (f * local).coords));
            }
        }
        out
    }

    /// The plate's centre and size, for the physics and the window.
    pub fn plate(&self) -> (Isometry3<f64>, Vector3<f64>) {
        let (px, py) = self.pitch_mm;
        let size = Vector3::new(px * f64::from(self.columns), py * f64::from(self.rows), self.thickness_mm);
        let centre = nalgebra::Point3::new(
            px * (f64::from(self.columns) - 1.0) / 2.0,
            py * (f64::from(self.rows) - 1.0) / 2.0,
            -self.thickness_mm / 2.0,
        );
        let f = self.frame();
        (Isometry3::from_parts(Translation3::from((f * centre).coords), f.rotation), size)
    }

    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if !(1..=26).contains(&self.rows) || !(1..=99).contains(&self.columns) {
            out.push((self.name.clone(), format!("pallet {}: 1..26 rows (A..Z) and 1..99 columns", self.name)));
        }
        if self.pitch_mm.0 <= 0.0 || self.pitch_mm.1 <= 0.0 || self.thickness_mm <= 0.0 {
            out.push(("pitch_mm".into(), format!("pallet {}: pitch and thickness must be positive", self.name)));
        }
        if self.base.is_some_and(|n| !(1..=32).contains(&n)) {
            out.push(("base".into(), format!("pallet {}: BASE_DATA has entries 1..32", self.name)));
        }
        out
    }
}

/// "A1" for row 0, column 0.
pub fn slot_name(row: u32, column: u32) -> String {
    format!("{}{}", char::from(b'A' + row as u8), column + 1)
}
