//! Part types and where a spawner's parts come from.

use serde::{Deserialize, Serialize};

/// The shape of a part type.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub enum PartShape {
    #[default]
    Box,
    /// Standing on its flat face; `size_mm` is (diameter, diameter, height).
    Cylinder,
}

/// A kind of part: what sensors report and objectives ask for by `name`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PartSpec {
    #[serde(default = "default_name")]
    pub name: String,
    #[serde(default)]
    pub shape: PartShape,
    /// Box: x, y, z; cylinder: diameter, diameter, height (mm).
    pub size_mm: (f64, f64, f64),
    pub mass_kg: f64,
    /// A colour name (red, green, blue, yellow, orange, white, grey, black) or "#rrggbb".
    #[serde(default = "default_colour")]
    pub colour: String,
}

fn default_name() -> String {
    "part".into()
}
fn default_colour() -> String {
    "green".into()
}

/// Where a spawner's parts come from.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum PartSource {
    /// Every part alike.
    One(PartSpec),
    /// A seeded random mix of the scenario's `part_types`: (type name, weight).
    Mix(Vec<(String, f64)>),
    /// The scenario's `part_types` in this order, over and over.
    Sequence(Vec<String>),
}

impl PartSource {
    /// The names of the part types it gives.
    pub fn names(&self) -> Vec<String> {
        match self {
            PartSource::One(p) => vec![p.name.clone()],
            PartSource::Mix(m) => m.iter().map(|(n, _)| n.clone()).collect(),
            PartSource::Sequence(q) => q.clone(),
        }
    }
}

/// sRGB components 0..1 of a colour name or `#rrggbb`.
pub fn colour_rgb(c: &str) -> Option<[f32; 3]> {
    let named = match c.to_ascii_lowercase().as_str() {
        "red" => Some([0.85, 0.12, 0.10]),
        "green" => Some([0.20, 0.75, 0.25]),
        "blue" => Some([0.12, 0.35, 0.85]),
        "yellow" => Some([0.95, 0.80, 0.10]),
        "orange" => Some([0.95, 0.50, 0.10]),
        "white" => Some([0.92, 0.92, 0.90]),
        "grey" | "gray" => Some([0.50, 0.50, 0.52]),
        "black" => Some([0.08, 0.08, 0.08]),
        _ => None,
    };
    if named.is_some() {
        return named;
    }
    let hex = c.strip_prefix('#').filter(|h| h.len() == 6 && h.chars().all(|ch| ch.is_ascii_hexdigit()))?;
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok().map(|b| b as f32 / 255.0);
    Some([byte(0)?, byte(2)?, byte(4)?])
}

impl PartSpec {
    /// Problems of this type: (field to point at, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let (x, y, z) = self.size_mm;
        if x <= 0.0 || y <= 0.0 || z <= 0.0 || self.mass_kg <= 0.0 {
            out.push(("size_mm".into(), format!("part type {}: size and mass must be positive", self.name)));
        }
        if self.shape == PartShape::Cylinder && (x - y).abs() > 1e-9 {
            out.push(("Cylinder".into(), format!("part type {}: a cylinder's size is (diameter, diameter, height)", self.name)));
        }
        if colour_rgb(&self.colour).is_none() {
            out.push((self.colour.clone(), format!("part type {}: unknown colour `{}`", self.name, self.colour)));
        }
        out
    }

    /// Volume in m³ (for the density that gives `mass_kg`).
    pub fn volume_m3(&self) -> f64 {
        let (x, y, z) = self.size_mm;
        match self.shape {
            PartShape::Box => x * y * z / 1e9,
            PartShape::Cylinder => std::f64::consts::PI * (x / 2.0).powi(2) * z / 1e9,
        }
    }
}
