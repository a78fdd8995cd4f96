//! The replay viewer: a recording played in the window, with a timeline to scrub, its markers
//! (collisions, faults, messages, parts delivered, the operator's commands) to jump to, and
//! steps forward and back. The world shown is the recorded run's at that moment, so the
//! program pointer, the watch values, the I/O and the plots are those of the moment.

use bevy_egui::egui;

use super::Sim;
use crate::sim::timeline::{Marker, MarkerKind, Timeline};

/// A recording being watched: the world in `Sim` stands after `at` of its steps.
pub struct Replaying {
    pub timeline: Timeline,
    pub at: u64,
    /// Where the viewer was asked to go (taken at the next frame).
    pub seek: Option<u64>,
    /// The recording's file, for the window's title and the bar.
    pub file: String,
}

impl Replaying {
    pub fn new(timeline: Timeline, file: String) -> Self {
        Replaying { timeline, at: 0, seek: None, file }
    }

    /// The first marker after the viewer's moment (`forward`), or the last one before it.
    fn neighbour(&self, forward: bool) -> Option<&Marker> {
        let shown = |m: &&Marker| m.kind != MarkerKind::Command || self.timeline.markers.len() < 200;
        // A marker's moment is the world after its step.
        if forward {
            self.timeline.markers.iter().filter(shown).find(|m| m.step + 1 > self.at)
        } else {
            self.timeline.markers.iter().filter(shown).rev().find(|m| m.step + 1 < self.at)
        }
    }
}

pub fn kind_colour(k: MarkerKind) -> egui::Color32 {
    match k {
        MarkerKind::Collision => egui::Color32::from_rgb(255, 60, 50),
        MarkerKind::Fault => egui::Color32::from_rgb(255, 150, 40),
        MarkerKind::Overspeed => egui::Color32::from_rgb(230, 80, 230),
        MarkerKind::Message => egui::Color32::from_rgb(90, 160, 255),
        MarkerKind::Delivered => egui::Color32::from_rgb(80, 220, 100),
        MarkerKind::Command => egui::Color32::from_rgb(170, 170, 170),
    }
}

fn kind_name(k: MarkerKind) -> &'static str {
    match k {
        MarkerKind::Collision => "collision",
        MarkerKind::Fault => "fault",
        MarkerKind::Overspeed => "T1 overspeed",
        MarkerKind::Message => "message",
        MarkerKind::Delivered => "delivered",
        MarkerKind::Command => "command",
    }
}

/// The bar under the cell: play, step, jump, and the timeline itself.
pub fn timeline_view(ui: &mut egui::Ui, sim: &mut Sim) {
    let paused = sim.paused;
    let Some(r) = &mut sim.replay else { return };
    let (steps, dt) = (r.timeline.steps, r.timeline.dt);
    let mut seek = None;
    let mut toggle = false;
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new("Replay").strong()).on_hover_text(&r.file);
        if ui.button("⏮").on_hover_text("The start").clicked() {
            seek = Some(0);
        }
        let prev = r.neighbour(false).map(|m| m.step + 1);
        if ui.add_enabled(prev.is_some(), egui::Button::new("◀ marker")).on_hover_text("The marker before").clicked() {
            seek = prev;
        }
        if ui.add_enabled(r.at > 0, egui::Button::new("◀ tick")).on_hover_text("One tick back").clicked() {
            seek = Some(r.at - 1);
        }
        let label = if paused { "▶ Play" } else { "⏸ Pause" };
        if ui.button(label).on_hover_text("Play the recording at the simulation speed").clicked() {
            toggle = true;
        }
        if ui.add_enabled(r.at < steps, egui::Button::new("tick ▶")).on_hover_text("One tick on").clicked() {
            seek = Some(r.at + 1);
        }
        let next = r.neighbour(true).map(|m| m.step + 1);
        if ui.add_enabled(next.is_some(), egui::Button::new("marker ▶")).on_hover_text("The next marker").clicked() {
            seek = next;
        }
        let failure = r.timeline.failure();
        let hint = match failure {
            Some(_) => "Where the run went wrong: the first collision or fault, else its end",
            None => "Every objective passed in this run",
        };
        if ui.add_enabled(failure.is_some(), egui::Button::new("⚠ failure")).on_hover_text(hint).clicked() {
            seek = failure;
        }
        ui.label(format!("{:.2} s of {:.2} s · tick {} of {}", r.at as f64 * dt, steps as f64 * dt, r.at, steps));
    });
    // The timeline: the played part, the markers, the playhead; click or drag to go there.
    let width = ui.available_width().max(50.0);
    let (rect, resp) = ui.allocate_exact_size(egui::vec2(width, 26.0), egui::Sense::click_and_drag());
    let p = ui.painter_at(rect);
    p.rect_filled(rect, 3.0, egui::Color32::from_gray(40));
    let x_of = |step: u64| rect.left() + rect.width() * (step as f32 / steps.max(1) as f32);
    p.rect_filled(egui::Rect::from_min_max(rect.min, egui::pos2(x_of(r.at), rect.bottom())), 3.0, egui::Color32::from_gray(70));
    // Commands low, the rest full height; the failures last, on top.
    let mut order: Vec<&Marker> = r.timeline.markers.iter().collect();
    order.sort_by_key(|m| (m.kind.is_failure(), m.kind != MarkerKind::Command));
    for m in order {
        let x = x_of(m.step + 1);
        let top = if m.kind == MarkerKind::Command { rect.bottom() - 7.0 } else { rect.top() + 2.0 };
        let w = if m.kind.is_failure() { 2.5 } else { 1.5 };
        p.line_segment([egui::pos2(x, top), egui::pos2(x, rect.bottom() - 2.0)], egui::Stroke::new(w, kind_colour(m.kind)));
    }
    let head = x_of(r.at);
    p.line_segment([egui::pos2(head, rect.top()), egui::pos2(head, rect.bottom())], egui::Stroke::new(2.0, egui::Color32::WHITE));
    let step_at = |x: f32| (((x - rect.left()) / rect.width()).clamp(0.0, 1.0) as f64 * steps as f64).round() as u64;
    if let Some(pos) = resp.interact_pointer_pos() {
        seek = Some(step_at(pos.x));
    }
    if let Some(pos) = resp.hover_pos() {
        // The markers within three pixels of the pointer.
        let near: Vec<&Marker> = r.timeline.markers.iter().filter(|m| (x_of(m.step + 1) - pos.x).abs() <= 3.0).take(8).collect();
        let s = step_at(pos.x);
        resp.on_hover_ui_at_pointer(|ui| {
            ui.label(format!("{:.2} s", s as f64 * dt));
            for m in near {
                let line = m.line.map(|l| format!(" (line {l})")).unwrap_or_default();
                ui.colored_label(kind_colour(m.kind), format!("{:.2} s {}: {}{line}", (m.step + 1) as f64 * dt, kind_name(m.kind), m.text));
            }
        });
    }
    // What happened last, up to this moment.
    if let Some(m) = r.timeline.markers.iter().rev().find(|m| m.step < r.at && m.kind != MarkerKind::Command) {
        let line = m.line.map(|l| format!(" (line {l})")).unwrap_or_default();
        ui.colored_label(kind_colour(m.kind), format!("{:.2} s {}: {}{line}", (m.step + 1) as f64 * dt, kind_name(m.kind), m.text));
    }
    if let Some(s) = seek {
        r.seek = Some(s.min(steps));
        sim.paused = true;
    }
    if toggle {
        sim.paused = !sim.paused;
        if let Some(r) = &mut sim.replay
            && r.at >= steps
            && !sim.paused
        {
            // Play again from the start.
            r.seek = Some(0);
        }
    }
}
