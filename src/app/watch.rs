//! The watch panel: variables by name with live values (aggregates open as trees), the
//! controller's own values and the call stack.

use bevy_egui::egui;

use super::Sim;
use crate::sim::krl::value::Value;

/// The watched names and the one being typed.
pub struct WatchUi {
    pub names: Vec<String>,
    pub typing: String,
}

impl Default for WatchUi {
    fn default() -> Self {
        let names = ["$POS_ACT", "$AXIS_ACT", "$OV_PRO", "$OV_JOG", "$TIMER[1]", "$FLAG[1]"];
        WatchUi { names: names.iter().map(|s| s.to_string()).collect(), typing: String::new() }
    }
}

/// A value's text, cut to fit a header line.
fn short(text: String) -> String {
    match text.char_indices().nth(56) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

fn show_value(ui: &mut egui::Ui, name: &str, v: &Value, id: &str) {
    match v {
        Value::Struct(s) => {
            egui::CollapsingHeader::new(short(format!("{name} = {v}"))).id_salt(id).show(ui, |ui| {
                for (n, f) in &s.fields {
                    show_value(ui, n, f, &format!("{id}.{n}"));
                }
            });
        }
        Value::Array(a) => {
            egui::CollapsingHeader::new(format!("{name} [{}]", a.dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",")))
                .id_salt(id)
                .show(ui, |ui| {
                    for (i, e) in a.elems.iter().enumerate().take(64) {
                        show_value(ui, &format!("[{}]", i + 1), e, &format!("{id}[{i}]"));
                    }
                    if a.elems.len() > 64 {
                        ui.label(format!("… {} more: watch NAME[i] for one", a.elems.len() - 64));
                    }
                });
        }
        _ => {
            ui.add(egui::Label::new(egui::RichText::new(format!("{name} = {v}")).monospace()).wrap());
        }
    }
}

pub fn watch_view(ui: &mut egui::Ui, sim: &Sim, w: &mut WatchUi) {
    ui.horizontal(|ui| {
        let r = ui.add(egui::TextEdit::singleline(&mut w.typing).hint_text("a variable, e.g. XP1.X or PARTS[2]").desired_width(220.0));
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button("Watch").clicked() || enter) && !w.typing.trim().is_empty() {
            w.names.push(w.typing.trim().to_string());
            w.typing.clear();
        }
    });
    let c = sim.world.controller();
    let mut remove = None;
    for (i, n) in w.names.iter().enumerate() {
        ui.horizontal_top(|ui| {
            if ui.small_button("✖").on_hover_text("Stop watching").clicked() {
                remove = Some(i);
            }
            match c.watch(n) {
                Ok(v) => show_value(ui, n, &v, &format!("watch-{i}-{n}")),
                Err(e) => {
                    ui.label(egui::RichText::new(format!("{n}: {e}")).color(egui::Color32::GRAY));
                }
            }
        });
    }
    if let Some(i) = remove {
        w.names.remove(i);
    }
    ui.separator();
    ui.label(egui::RichText::new("Call stack").strong());
    for (r, file, line) in c.call_stack().iter().rev() {
        ui.monospace(format!("{r}  {} line {line}", file.as_deref().unwrap_or("")));
    }
}
