//! The Plots tab: the trace of the run (`sim::trace`) drawn with egui_plot: axis positions,
//! axis speeds against their limits, the TCP's speed (with T1's 250 mm/s), the inputs and
//! outputs as lanes like a logic analyser, and the cycle time of each delivered part.

use bevy_egui::egui;
use egui_plot::{Bar, BarChart, HLine, Legend, Line, Plot, PlotPoint, Text};

use super::Sim;
use crate::sim::scenario::OperatingMode;
use crate::sim::trace::Trace;

/// Which plots are open.
pub struct PlotsUi {
    axes: bool,
    speeds: bool,
    tcp: bool,
    io: bool,
    cycles: bool,
}

impl Default for PlotsUi {
    fn default() -> Self {
        PlotsUi { axes: true, speeds: true, tcp: true, io: true, cycles: true }
    }
}

const HEIGHT: f32 = 150.0;

pub fn plots_view(ui: &mut egui::Ui, sim: &Sim, st: &mut PlotsUi) {
    let trace = &sim.trace;
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut st.axes, "Axes");
        ui.checkbox(&mut st.speeds, "Axis speeds");
        ui.checkbox(&mut st.tcp, "TCP speed");
        ui.checkbox(&mut st.io, "I/O");
        ui.checkbox(&mut st.cycles, "Cycle times");
    });
    ui.label(egui::RichText::new(format!("the last {:.0} s; drag to pan, wheel to zoom, double-click to fit", trace.window_s)).small());
    let model = sim.world.model().clone();
    if st.axes {
        ui.label(egui::RichText::new("Axis positions (deg)").strong());
        Plot::new("axes").height(HEIGHT).legend(Legend::default()).show(ui, |p| {
            for i in 0..6 {
                p.line(Line::new(format!("A{}", i + 1), series(trace, |s| s.axes_deg[i])));
            }
        });
    }
    if st.speeds {
        ui.label(egui::RichText::new("Axis speeds (% of each axis' limit)").strong());
        Plot::new("speeds").height(HEIGHT).legend(Legend::default()).show(ui, |p| {
            for i in 0..6 {
                let max = model.max_speed_deg_s[i];
                p.line(Line::new(format!("A{}", i + 1), series(trace, |s| 100.0 * s.speeds_deg_s[i].abs() / max)));
            }
            p.hline(HLine::new("limit", 100.0));
        });
    }
    if st.tcp {
        ui.label(egui::RichText::new("TCP speed (mm/s)").strong());
        Plot::new("tcp").height(HEIGHT).show(ui, |p| {
            p.line(Line::new("TCP", series(trace, |s| s.tcp_mm_s)));
            if sim.world.mode() == OperatingMode::T1 {
                p.hline(HLine::new("T1 limit", 250.0));
            }
        });
    }
    if st.io {
        ui.label(egui::RichText::new("Inputs and outputs (hover an output's edge: the program line)").strong());
        let now = sim.world.time_s();
        let height = (trace.lanes.len() as f32 * 22.0).clamp(60.0, 400.0);
        Plot::new("io").height(height).show_axes([true, false]).show(ui, |p| {
            for (k, (signal, lane)) in trace.lanes.iter().enumerate() {
                let base = -(k as f64) * 1.5;
                let mut pts = Vec::with_capacity(lane.len() * 2 + 2);
                let mut level = lane.front().is_some_and(|s| !s.value);
                for s in lane {
                    pts.push([s.time_s, base + f64::from(u8::from(level))]);
                    level = s.value;
                    pts.push([s.time_s, base + f64::from(u8::from(level))]);
                    if let Some(line) = s.line {
                        p.text(Text::new(signal.name(), PlotPoint::new(s.time_s, base + 1.15), format!("{line}")));
                    }
                }
                pts.push([now, base + f64::from(u8::from(level))]);
                p.line(Line::new(signal.name(), pts));
                let start = lane.front().map_or(now, |s| s.time_s);
                p.text(Text::new(signal.name(), PlotPoint::new(start, base + 0.5), signal.name()));
            }
        });
    }
    if st.cycles {
        let cycles = trace.cycle_times();
        ui.label(egui::RichText::new(format!("Cycle time per delivered part (s): {} part(s)", cycles.len())).strong());
        Plot::new("cycles").height(HEIGHT).show(ui, |p| {
            let bars = cycles.iter().enumerate().map(|(i, (_, c))| Bar::new(i as f64 + 1.0, *c).width(0.7)).collect();
            p.bar_chart(BarChart::new("cycle", bars));
        });
    }
}

/// (time, value) of every sample.
fn series(trace: &Trace, f: impl Fn(&crate::sim::trace::Sample) -> f64) -> Vec<[f64; 2]> {
    trace.samples.iter().map(|s| [s.time_s, f(s)]).collect()
}
