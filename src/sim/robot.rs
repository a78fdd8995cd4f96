//! Robot models as data: OPW geometry, axis limits and speeds, sign conventions.
//! Facts from `shared/reference/krl.md` section 10.

use serde::{Deserialize, Serialize};

/// Ortho-parallel wrist (OPW) geometry in mm, KUKA sign conventions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpwGeometry {
    pub a1: f64,
    pub a2: f64,
    pub b: f64,
    pub c1: f64,
    pub c2: f64,
    pub c3: f64,
    pub c4: f64,
    /// OPW joint offsets in degrees: theta = sign * axis - offset.
    pub offsets_deg: [f64; 6],
    /// Sign corrections between KUKA axis angles and OPW angles.
    pub signs: [f64; 6],
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotModel {
    pub name: String,
    pub geometry: OpwGeometry,
    /// Software limit switches `$SOFTN_END` / `$SOFTP_END` in degrees.
    pub min_deg: [f64; 6],
    pub max_deg: [f64; 6],
    /// Axis speed limits in deg/s (100 % of `$VEL_AXIS`).
    pub max_speed_deg_s: [f64; 6],
    /// Axis acceleration at 100 % `$ACC_AXIS` in deg/s^2 (estimate: not in the reference data).
    pub max_acc_deg_s2: [f64; 6],
    /// `$VEL_MA.CP` in m/s.
    pub max_cp_speed_m_s: f64,
    /// Default home (mastering) position, degrees.
    pub home_deg: [f64; 6],
}

pub const KUKA_SIGNS: [f64; 6] = [-1.0, 1.0, 1.0, -1.0, 1.0, -1.0];
pub const KUKA_OFFSETS_DEG: [f64; 6] = [0.0, -90.0, 0.0, 0.0, 0.0, 0.0];

impl RobotModel {
    /// KUKA KR 6 R900 sixx (KR AGILUS).
    pub fn kr6_r900_sixx() -> Self {
        RobotModel {
            name: "KR 6 R900 sixx".into(),
            geometry: OpwGeometry {
                a1: 25.0,
                a2: -35.0,
                b: 0.0,
                c1: 400.0,
                c2: 455.0,
                c3: 420.0,
                c4: 80.0,
                offsets_deg: KUKA_OFFSETS_DEG,
                signs: KUKA_SIGNS,
            },
            min_deg: [-170.0, -190.0, -120.0, -185.0, -120.0, -350.0],
            max_deg: [170.0, 45.0, 156.0, 185.0, 120.0, 350.0],
            max_speed_deg_s: [360.0, 300.0, 360.0, 381.0, 388.0, 615.0],
            max_acc_deg_s2: [1500.0, 1300.0, 1500.0, 2000.0, 2000.0, 3000.0],
            max_cp_speed_m_s: 3.0,
            home_deg: [0.0, -90.0, 90.0, 0.0, 0.0, 0.0],
        }
    }

    /// KUKA KR 6 R700 sixx: the R900's axes with a shorter arm.
    pub fn kr6_r700_sixx() -> Self {
        let mut m = Self::kr6_r900_sixx();
        m.name = "KR 6 R700 sixx".into();
        m.geometry.c2 = 315.0;
        m.geometry.c3 = 365.0;
        m
    }

    /// KUKA KR 16-2.
    pub fn kr16_2() -> Self {
        RobotModel {
            name: "KR 16-2".into(),
            geometry: OpwGeometry {
                a1: 260.0,
                a2: 35.0,
                b: 0.0,
                c1: 675.0,
                c2: 680.0,
                c3: 670.0,
                c4: 158.0,
                offsets_deg: KUKA_OFFSETS_DEG,
                signs: KUKA_SIGNS,
            },
            min_deg: [-185.0, -155.0, -130.0, -350.0, -130.0, -350.0],
            max_deg: [185.0, 35.0, 154.0, 350.0, 130.0, 350.0],
            max_speed_deg_s: [156.0, 156.0, 156.0, 330.0, 330.0, 615.0],
            max_acc_deg_s2: [600.0, 600.0, 600.0, 1200.0, 1200.0, 2000.0],
            max_cp_speed_m_s: 2.0,
            home_deg: [0.0, -90.0, 90.0, 0.0, 0.0, 0.0],
        }
    }

    /// Looks a model up by the name a scenario uses (case and separators ignored).
    pub fn by_name(name: &str) -> Option<Self> {
        let key: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
        match key.as_str() {
            "KR6R900SIXX" | "KR6R900" => Some(Self::kr6_r900_sixx()),
            "KR6R700SIXX" | "KR6R700" => Some(Self::kr6_r700_sixx()),
            "KR162" | "KR16" => Some(Self::kr16_2()),
            _ => None,
        }
    }

    pub const KNOWN: &'static [&'static str] = &["KR6_R900_SIXX", "KR6_R700_SIXX", "KR16_2"];

    /// The first axis (0-based) outside its software limits, with the sign of the violated switch.
    pub fn limit_violation(&self, q_deg: &[f64; 6]) -> Option<(usize, char)> {
        (0..6).find_map(|i| {
            if q_deg[i] > self.max_deg[i] + 1e-9 {
                Some((i, '+'))
            } else if q_deg[i] < self.min_deg[i] - 1e-9 {
                Some((i, '-'))
            } else {
                None
            }
        })
    }
}
