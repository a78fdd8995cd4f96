//! The jog keys, the enabling switch and the Start key as on the smartPAD: held down with the
//! mouse or the keyboard, each press and release a command to the core.

use bevy_egui::egui;

use super::Sim;
use crate::sim::controller::jog::{JogFrame, JogIncrement, key_name};
use crate::sim::scenario::OperatingMode;
use crate::sim::world::Command;

/// Keys for the jog pairs (plus, minus) of A1..A6 or X..C.
pub const JOG_KEYS: [(egui::Key, egui::Key); 6] = [
    (egui::Key::Q, egui::Key::A),
    (egui::Key::W, egui::Key::S),
    (egui::Key::E, egui::Key::D),
    (egui::Key::R, egui::Key::F),
    (egui::Key::T, egui::Key::G),
    (egui::Key::Y, egui::Key::H),
];
/// The enabling switch is held while this key is.
pub const ENABLING_KEY: egui::Key = egui::Key::Space;
/// Start (held in T1 and T2).
pub const START_KEY: egui::Key = egui::Key::Enter;

/// What is held down now, so a press and a release each send one command.
#[derive(Default)]
pub struct Held {
    pub enabling_mouse: bool,
    pub enabling_key: bool,
    /// What the core was last told of the enabling switch.
    pub enabling_sent: bool,
    pub start: bool,
    pub jog: Option<(u8, bool)>,
}

/// Keyboard: the enabling switch, Start and the jog keys (not while a text field has focus).
pub fn keys(ctx: &egui::Context, sim: &mut Sim, held: &mut Held, start_button: bool, jog_button: Option<(u8, bool)>) {
    let typing = ctx.egui_wants_keyboard_input();
    let (enable_key, start_key, jog_key, stop) = ctx.input(|i| {
        let jog = JOG_KEYS.iter().enumerate().find_map(|(k, (p, m))| {
            if i.key_down(*p) {
                Some((k as u8, true))
            } else if i.key_down(*m) {
                Some((k as u8, false))
            } else {
                None
            }
        });
        (i.key_down(ENABLING_KEY), i.key_down(START_KEY), jog, i.key_pressed(egui::Key::Escape))
    });
    let (enable_key, start_key, jog_key) = if typing { (false, false, None) } else { (enable_key, start_key, jog_key) };
    if stop && !typing {
        sim.pending.push(Command::Stop);
    }
    held.enabling_key = enable_key;
    let enabling = held.enabling_mouse || enable_key;
    if enabling != held.enabling_sent {
        held.enabling_sent = enabling;
        sim.pending.push(Command::EnablingSwitch(enabling));
    }
    let start = start_button || start_key;
    if start && !held.start {
        sim.pending.push(Command::Start);
    } else if !start && held.start {
        sim.pending.push(Command::ReleaseStart);
    }
    held.start = start;
    let jog = jog_button.or(jog_key);
    if jog != held.jog {
        if held.jog.is_some() {
            sim.pending.push(Command::JogRelease);
        }
        if let Some((key, plus)) = jog {
            sim.pending.push(Command::Jog { key, plus });
        }
        held.jog = jog;
    }
}

/// The jog panel: frame, increment, jog override, tool and base, the enabling switch and the
/// six key pairs. Returns the jog key held with the mouse.
pub fn jog_view(ui: &mut egui::Ui, sim: &mut Sim, held: &mut Held) -> Option<(u8, bool)> {
    let c = sim.world.controller();
    let s = c.jog_settings;
    let (tool, base) = (c.tool_no, c.base_no);
    let t1 = sim.world.mode() == OperatingMode::T1;
    if !t1 {
        ui.label(egui::RichText::new("Jogging only in T1: set the mode to T1.").color(egui::Color32::from_rgb(240, 200, 40)));
    }
    ui.horizontal(|ui| {
        ui.label("Frame");
        for (f, hint) in [
            (JogFrame::Axes, "One key pair per axis A1..A6"),
            (JogFrame::World, "X, Y, Z along the world; A, B, C about its Z, Y, X through the TCP"),
            (JogFrame::Base, "Along and about the selected BASE_DATA[n]"),
            (JogFrame::Tool, "Along and about the selected tool's own axes"),
        ] {
            if ui.selectable_label(s.frame == f, format!("{f:?}")).on_hover_text(hint).clicked() {
                sim.pending.push(Command::SetJogFrame(f));
            }
        }
    });
    ui.horizontal(|ui| {
        ui.label("Increment");
        egui::ComboBox::from_id_salt("increment").selected_text(s.increment.label()).show_ui(ui, |ui| {
            for i in JogIncrement::ALL {
                if ui.selectable_label(s.increment == i, i.label()).clicked() {
                    sim.pending.push(Command::SetJogIncrement(i));
                }
            }
        });
        let mut ov = s.override_pct as u8;
        ui.label("$OV_JOG");
        if ui.add(egui::Slider::new(&mut ov, 1..=100).suffix(" %")).changed() {
            sim.pending.push(Command::SetJogOverride(ov));
        }
    });
    ui.horizontal(|ui| {
        let mut t = tool as u8;
        ui.label("Tool");
        if ui.add(egui::DragValue::new(&mut t).range(1..=16)).on_hover_text("TOOL_DATA[n] for jogging and teaching").changed() {
            sim.pending.push(Command::SelectTool(t));
        }
        let mut b = base as u8;
        ui.label("Base");
        if ui.add(egui::DragValue::new(&mut b).range(0..=32)).on_hover_text("BASE_DATA[n]; 0 is the world").changed() {
            sim.pending.push(Command::SelectBase(b));
        }
    });
    let on = held.enabling_mouse || held.enabling_key;
    let fill = if on { egui::Color32::from_rgb(60, 150, 70) } else { egui::Color32::from_rgb(90, 90, 90) };
    let r = ui
        .add(egui::Button::new(egui::RichText::new(if on { "Enabling switch: held" } else { "Enabling switch" }).strong()).fill(fill))
        .on_hover_text("Hold it (mouse, or the Space key): in T1 the robot moves only while it is held");
    held.enabling_mouse = r.is_pointer_button_down_on();
    // Beside each key pair: the axis angle, or the TCP in the selected base.
    let q = sim.world.axes_deg();
    let pose = sim.world.controller().taught_pose().frame;
    let value = |k: usize| match (s.frame, k) {
        (JogFrame::Axes, _) => format!("{:8.2}°", q[k]),
        (_, 0) => format!("{:8.1} mm", pose.x),
        (_, 1) => format!("{:8.1} mm", pose.y),
        (_, 2) => format!("{:8.1} mm", pose.z),
        (_, 3) => format!("{:8.2}°", pose.a),
        (_, 4) => format!("{:8.2}°", pose.b),
        _ => format!("{:8.2}°", pose.c),
    };
    let mut jog = None;
    egui::Grid::new("jog-keys").num_columns(3).show(ui, |ui| {
        for k in 0..6u8 {
            let name = key_name(s.frame, k as usize);
            let (pk, mk) = JOG_KEYS[k as usize];
            let minus = ui.add(egui::Button::new(format!("  −  {name}  "))).on_hover_text(format!("Hold to jog {name} minus (key {mk:?})"));
            if minus.is_pointer_button_down_on() {
                jog = Some((k, false));
            }
            ui.label(egui::RichText::new(format!("{name} {}", value(k as usize))).monospace().strong());
            let plus = ui.add(egui::Button::new(format!("  +  {name}  "))).on_hover_text(format!("Hold to jog {name} plus (key {pk:?})"));
            if plus.is_pointer_button_down_on() {
                jog = Some((k, true));
            }
            ui.end_row();
        }
    });
    jog
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Scenario;
    use crate::sim::world::World;

    fn key(k: egui::Key, pressed: bool) -> egui::Event {
        egui::Event::Key { key: k, physical_key: None, pressed, repeat: false, modifiers: Default::default() }
    }

    /// One frame of the keyboard handling with these key events; the commands it sent.
    fn frame(ctx: &egui::Context, sim: &mut Sim, held: &mut Held, events: Vec<egui::Event>) -> Vec<Command> {
        let input = egui::RawInput { events, ..Default::default() };
        ctx.run_ui(input, |ui| keys(ui.ctx(), sim, held, false, None)).drop_without_applying_deltas();
        std::mem::take(&mut sim.pending)
    }

    #[test]
    fn the_keyboard_holds_the_enabling_switch_start_and_the_jog_keys() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (world, _) = World::new(Scenario::load(&root.join("scenarios/teach.ron")).unwrap()).unwrap();
        let mut sim = Sim::new(world, Vec::new());
        let mut held = Held::default();
        let ctx = egui::Context::default();
        assert_eq!(frame(&ctx, &mut sim, &mut held, vec![]), vec![]);
        // Space is the enabling switch: pressed, held (nothing new), let go.
        assert_eq!(frame(&ctx, &mut sim, &mut held, vec![key(ENABLING_KEY, true)]), vec![Command::EnablingSwitch(true)]);
        assert_eq!(frame(&ctx, &mut sim, &mut held, vec![]), vec![]);
        // Q and A are A1 plus and minus (or X in a Cartesian frame); a release sends JogRelease.
        assert_eq!(frame(&ctx, &mut sim, &mut held, vec![key(egui::Key::Q, true)]), vec![Command::Jog { key: 0, plus: true }]);
        assert_eq!(
            frame(&ctx, &mut sim, &mut held, vec![key(egui::Key::Q, false), key(egui::Key::H, true)]),
            vec![Command::JogRelease, Command::Jog { key: 5, plus: false }]
        );
        assert_eq!(frame(&ctx, &mut sim, &mut held, vec![key(egui::Key::H, false)]), vec![Command::JogRelease]);
        // Enter is Start, held; Esc is Stop.
        assert_eq!(frame(&ctx, &mut sim, &mut held, vec![key(START_KEY, true)]), vec![Command::Start]);
        assert_eq!(frame(&ctx, &mut sim, &mut held, vec![key(START_KEY, false)]), vec![Command::ReleaseStart]);
        assert_eq!(frame(&ctx, &mut sim, &mut held, vec![key(egui::Key::Escape, true)]), vec![Command::Stop]);
        assert_eq!(frame(&ctx, &mut sim, &mut held, vec![key(ENABLING_KEY, false)]), vec![Command::EnablingSwitch(false)]);
    }
}
