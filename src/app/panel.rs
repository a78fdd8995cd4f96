//! The pendant panel: Start (held in T1 and T2), Stop, Reset, E-STOP, override, modes; tabs for
//! the program (listing and editor), jogging, the watch panel and the cell's I/O; messages with
//! their acknowledgement.

use bevy::camera::Viewport;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::Sim;
use super::editor::{EditorUi, program_view};
use super::jogging::{Held, jog_view, keys};
use super::lesson::{LessonInfo, LessonUi, lesson_view};
use super::watch::{WatchUi, watch_view};
use crate::sim::math::Frame;
use crate::sim::scenario::FaultKind;
use crate::sim::scenario::OperatingMode;
use crate::sim::world::{Command, Level, ProgramState, StepMode};

pub struct PanelPlugin;

impl Plugin for PanelPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(EguiPrimaryContextPass, panel);
    }
}

fn level_color(l: Level) -> egui::Color32 {
    match l {
        Level::Notification => egui::Color32::from_rgb(90, 160, 255),
        Level::Status => egui::Color32::from_rgb(240, 200, 40),
        Level::Acknowledgement => egui::Color32::from_rgb(255, 80, 70),
    }
}

fn state_text(s: ProgramState) -> (&'static str, egui::Color32) {
    match s {
        ProgramState::Ready => ("READY - press Start", egui::Color32::from_rgb(200, 200, 200)),
        ProgramState::Running => ("RUNNING", egui::Color32::from_rgb(80, 220, 100)),
        ProgramState::Stopped => ("STOPPED by operator", egui::Color32::from_rgb(240, 200, 40)),
        ProgramState::Halted => ("HALT in program", egui::Color32::from_rgb(240, 200, 40)),
        ProgramState::Finished => ("PROGRAM END", egui::Color32::from_rgb(90, 160, 255)),
        ProgramState::Faulted => ("FAULT - robot stopped", egui::Color32::from_rgb(255, 80, 70)),
    }
}

/// The pendant's own state between frames (what is held, the open tab, the editor, the watch).
#[derive(Default)]
pub struct PendantUi {
    opened: bool,
    tab: Tab,
    held: Held,
    editor: EditorUi,
    watch: WatchUi,
    lesson: LessonUi,
    plots: super::plots::PlotsUi,
    /// The UI scale last seen (egui's zoom: Ctrl + and Ctrl -).
    zoom: f32,
}

#[derive(Default, Clone, Copy, PartialEq)]
enum Tab {
    Lesson,
    #[default]
    Program,
    Jog,
    Watch,
    Cell,
    Plots,
}

// A bevy system: its parameters are what it reads and writes.
#[allow(clippy::too_many_arguments)]
fn panel(
    mut contexts: EguiContexts,
    mut sim: ResMut<Sim>,
    mut pad: Local<PendantUi>,
    script: Option<Res<super::Script>>,
    lesson: Option<Res<LessonInfo>>,
    mut view: ResMut<super::camera::CameraView>,
    mut overlays: ResMut<super::scene::Overlays>,
    mut camera: Single<&mut Camera, With<Camera3d>>,
    window: Single<&Window, With<PrimaryWindow>>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    if !pad.opened {
        pad.opened = true;
        pad.tab = match script.as_ref().map(|s| s.tab.as_str()) {
            Some("lesson") if lesson.is_some() => Tab::Lesson,
            Some("jog") => Tab::Jog,
            Some("watch") => Tab::Watch,
            Some("io") => Tab::Cell,
            Some("plots") => Tab::Plots,
            _ => Tab::Program,
        };
        pad.editor.editing = script.as_ref().is_some_and(|s| s.tab == "edit");
        // The UI scale the user chose last time (Ctrl + / Ctrl -); scripted pictures keep 1.
        if script.as_ref().is_none_or(|s| s.screenshot.is_none())
            && let Some(z) = super::settings::load_zoom()
        {
            ctx.set_zoom_factor(z);
        }
        pad.zoom = ctx.zoom_factor();
    }
    if (ctx.zoom_factor() - pad.zoom).abs() > 1e-3 {
        pad.zoom = ctx.zoom_factor();
        if let Err(e) = super::settings::save_zoom(pad.zoom) {
            sim.note(format!("UI scale not remembered: {e}"));
        }
    }
    let mut root = egui::Ui::new(
        ctx.clone(),
        "robocell-root".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    let width = egui::Panel::right("pendant")
        .resizable(true)
        .default_size(470.0)
        // The cell keeps at least half of the window, whatever the panel shows.
        .size_range(320.0..=(window.width() * 0.5).max(330.0))
        .show(&mut root, |ui| {
            pendant(ui, &mut sim, &mut pad, lesson.as_deref());
        })
        .response
        .rect
        .width();
    // A replay's timeline under the cell.
    let bottom = if sim.replay.is_some() {
        egui::Panel::bottom("timeline")
            .resizable(false)
            .show(&mut root, |ui| {
                ui.add_space(2.0);
                super::replay::timeline_view(ui, &mut sim);
            })
            .response
            .rect
            .height()
    } else {
        0.0
    };
    // The 3D view takes the part of the window left of the panel (above the timeline).
    let panel_px = (width * window.scale_factor()) as u32;
    let bottom_px = (bottom * window.scale_factor()) as u32;
    let size =
        UVec2::new(window.physical_width().saturating_sub(panel_px).max(1), window.physical_height().saturating_sub(bottom_px).max(1));
    camera.viewport = Some(Viewport { physical_position: UVec2::ZERO, physical_size: size, ..default() });
    // The views, over the 3D view's top left corner.
    egui::Area::new("views".into()).fixed_pos(egui::pos2(8.0, 8.0)).show(&ctx, |ui| {
        egui::Frame::new().fill(egui::Color32::from_black_alpha(150)).inner_margin(4.0).corner_radius(4.0).show(ui, |ui| {
            ui.horizontal(|ui| {
                for (v, name, key) in super::camera::View::ALL {
                    let on = view.current.unwrap_or(super::camera::View::Operator) == v;
                    if ui.selectable_label(on, name).on_hover_text(key).clicked() {
                        view.request = Some(v);
                    }
                }
                ui.separator();
                ui.checkbox(&mut overlays.tcp_trail, "TCP trail")
                    .on_hover_text("The TCP's path of the last 20 s, blue when slow, red at 2 m/s and faster");
                ui.checkbox(&mut overlays.frames, "Frames").on_hover_text("The program's $BASE and $TOOL: X red, Y green, Z blue");
                ui.checkbox(&mut overlays.path_ahead, "Path ahead").on_hover_text("Where the TCP goes along the motions planned (yellow)");
            });
        });
    });
    Ok(())
}

/// A signal lamp: filled green when TRUE, a grey ring when FALSE.
fn lamp(ui: &mut egui::Ui, on: bool) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
    let c = rect.center();
    if on {
        ui.painter().circle_filled(c, 5.5, egui::Color32::from_rgb(80, 220, 100));
    } else {
        ui.painter().circle_stroke(c, 5.0, egui::Stroke::new(1.5, egui::Color32::GRAY));
    }
}

fn mode_hint(m: OperatingMode) -> &'static str {
    match m {
        OperatingMode::T1 => "Manual reduced velocity: the TCP moves at most 250 mm/s",
        OperatingMode::T2 => "Manual high velocity: programmed speed",
        OperatingMode::AUT => "Automatic: programmed speed",
    }
}

/// Rounds away display noise such as -0.00.
fn tidy(x: f64) -> f64 {
    if x.abs() < 0.005 { 0.0 } else { x }
}

fn pendant(ui: &mut egui::Ui, sim: &mut Sim, pad: &mut PendantUi, lesson: Option<&LessonInfo>) {
    let sc = sim.world.loaded().scenario.clone();
    ui.add_space(4.0);
    ui.heading(&sc.name);
    if lesson.is_none() {
        // A lesson says it in its text.
        ui.label(egui::RichText::new(&sc.description).small());
    }
    ui.separator();

    // Controls.
    let state = sim.world.state();
    let mut start_down = false;
    // A replay only shows the recorded run: its controls are greyed out.
    let live = sim.replay.is_none();
    ui.add_enabled_ui(live, |ui| {
        ui.horizontal(|ui| {
            let can_start = matches!(state, ProgramState::Ready | ProgramState::Stopped | ProgramState::Halted | ProgramState::Running);
            let hint = if sim.world.mode() == OperatingMode::AUT {
                "Start the program (Enter)"
            } else {
                "Hold Start (or Enter) with the enabling switch (Space): in T1 and T2 the program runs only while both are held"
            };
            let start = ui.add_enabled(can_start, egui::Button::new(egui::RichText::new("▶ Start").size(16.0))).on_hover_text(hint);
            start_down = start.is_pointer_button_down_on();
            if ui
                .add_enabled(state == ProgramState::Running, egui::Button::new(egui::RichText::new("■ Stop").size(16.0)))
                .on_hover_text("STOP 2 on the path (Esc)")
                .clicked()
            {
                sim.pending.push(Command::Stop);
            }
            if ui.button(egui::RichText::new("⟲ Reset").size(16.0)).clicked() {
                sim.pending.push(Command::Reset);
            }
            let (t, c) =
                if sim.world.controller().estop_pressed() { ("E-STOP", egui::Color32::from_rgb(255, 80, 70)) } else { state_text(state) };
            ui.label(egui::RichText::new(t).color(c).strong());
        });
        // Safety: the E-STOP (it stays pressed until released), acknowledging, the gate.
        ui.horizontal(|ui| {
            let pressed = sim.world.controller().estop_pressed();
            let (label, fill) = if pressed {
                ("E-STOP pressed: release", egui::Color32::from_rgb(120, 20, 20))
            } else {
                ("E-STOP", egui::Color32::from_rgb(200, 30, 30))
            };
            let estop = egui::Button::new(egui::RichText::new(label).color(egui::Color32::WHITE).strong()).fill(fill);
            if ui.add(estop).on_hover_text("STOP 1 in every mode; release, acknowledge, then Start").clicked() {
                sim.pending.push(Command::EmergencyStop(!pressed));
            }
            let waiting = !sim.world.controller().to_acknowledge().is_empty();
            if ui.add_enabled(waiting, egui::Button::new("Acknowledge")).on_hover_text("Acknowledge the safety messages").clicked() {
                sim.pending.push(Command::Acknowledge);
            }
            if sc.door_input.is_some() {
                let open = sim.world.controller().door_open();
                if ui
                    .button(if open { "Close the gate" } else { "Open the gate" })
                    .on_hover_text("The fence door: in AUT opening it stops the robot")
                    .clicked()
                {
                    sim.pending.push(Command::SetDoor(!open));
                }
            }
        });
        ui.horizontal(|ui| {
            let mut ov = sim.world.override_pct() as u8;
            ui.label("Override $OV_PRO");
            if ui.add(egui::Slider::new(&mut ov, 1..=100).suffix(" %")).changed() {
                sim.pending.push(Command::SetOverride(ov));
            }
            // The robot's speed ramps to the override (and to 0 on Stop) along its path.
            let path = sim.world.controller().path_speed() * 100.0;
            ui.label(egui::RichText::new(format!("path {path:.0} %")).small())
                .on_hover_text("The robot's speed on its path, ramping to the override");
        });
        ui.horizontal(|ui| {
            ui.label("Mode $MODE_OP");
            for m in [OperatingMode::T1, OperatingMode::T2, OperatingMode::AUT] {
                if ui.selectable_label(sim.world.mode() == m, format!("{m:?}")).on_hover_text(mode_hint(m)).clicked()
                    && sim.world.mode() != m
                {
                    sim.pending.push(Command::SetMode(m));
                }
            }
        });
        ui.horizontal(|ui| {
            ui.label("Program run");
            for (m, name, hint) in [
                (StepMode::Go, "GO", "Run continuously"),
                (StepMode::Motion, "MSTEP", "Stop after each motion; Start runs to the next point"),
                (StepMode::Line, "ISTEP", "Stop after each statement; Start runs one line"),
            ] {
                if ui.selectable_label(sim.world.step_mode() == m, name).on_hover_text(hint).clicked() {
                    sim.pending.push(Command::SetStepMode(m));
                }
            }
        });
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("Simulation speed");
        for s in [0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0] {
            if ui.selectable_label(sim.speed == s, format!("{s}x")).clicked() {
                sim.speed = s;
            }
        }
        let (label, hint) =
            if sim.paused { ("▶ Go on", "Let the cell run again") } else { ("⏸ Pause", "Hold the whole cell: robot, belts, parts") };
        if ui.button(label).on_hover_text(hint).clicked() {
            sim.paused = !sim.paused;
        }
        if ui
            .add_enabled(sim.paused, egui::Button::new("+1 tick"))
            .on_hover_text(format!("One tick: {} ms", sim.world.dt() * 1000.0))
            .clicked()
        {
            sim.ticks_to_step += 1;
        }
        // The UI scale for a projector (also Ctrl + and Ctrl -), remembered for the next time.
        let z = ui.ctx().zoom_factor();
        let hint = format!("UI scale {:.0} % (Ctrl - / Ctrl +)", z * 100.0);
        if ui.small_button("A-").on_hover_text(&hint).clicked() {
            ui.ctx().set_zoom_factor((z - 0.1).max(0.5));
        }
        if ui.small_button("A+").on_hover_text(&hint).clicked() {
            ui.ctx().set_zoom_factor((z + 0.1).min(3.0));
        }
    });
    // The exercise: progress while the program runs, this run's grade once it is over.
    if sim.world.run_over() && sim.grade.as_ref().is_none_or(|(t, _)| *t != sim.world.tick()) {
        let g = sim.world.grade_this_run();
        sim.grade = Some((sim.world.tick(), g));
    }
    let in_bins = if sc.bins.is_empty() { String::new() } else { format!(" · {} part(s) in a bin", sim.world.delivered()) };
    ui.label(format!("Exercise: {:.1} s of {:.0} s{in_bins}", sim.world.time_s(), sc.time_limit_s));
    match (&sim.grade, sim.world.run_over()) {
        (Some((_, g)), true) => {
            let colour = if g.full_marks() { egui::Color32::from_rgb(80, 220, 100) } else { egui::Color32::from_rgb(255, 170, 60) };
            ui.label(egui::RichText::new(format!("Score {:.0} / {:.0} (this run)", g.score, g.max_score)).color(colour).strong());
            for r in g.objectives.iter().filter(|_| lesson.is_none()) {
                let mark = if r.passed { "✔" } else { "✖" };
                ui.label(format!("{mark} {:.0}/{:.0} {}", r.points, r.max_points, r.title)).on_hover_text(&r.explanation);
            }
        }
        // The Lesson tab lists them with their state.
        _ if lesson.is_some() => {}
        _ => {
            for o in &sc.objectives {
                ui.label(format!("· {:.0} pts  {}", o.points, o.title));
            }
        }
    }
    ui.separator();

    // Tabs: the lesson, the program, jogging, the watch panel, the cell's I/O, the plots.
    ui.horizontal_wrapped(|ui| {
        let tabs = [
            (Tab::Lesson, "Lesson"),
            (Tab::Program, "Program"),
            (Tab::Jog, "Jog"),
            (Tab::Watch, "Watch"),
            (Tab::Cell, "I/O and axes"),
            (Tab::Plots, "Plots"),
        ];
        for (t, name) in tabs.into_iter().filter(|(t, _)| *t != Tab::Lesson || lesson.is_some()) {
            if ui.selectable_label(pad.tab == t, egui::RichText::new(name).strong()).clicked() {
                pad.tab = t;
            }
        }
    });
    let body_h = (ui.available_height() - 170.0).max(150.0);
    let mut jog_down = None;
    egui::ScrollArea::vertical().id_salt("tab").max_height(body_h).auto_shrink([false, true]).show(ui, |ui| match pad.tab {
        Tab::Lesson => match lesson {
            Some(info) => lesson_view(ui, sim, info, &mut pad.lesson),
            None => program_view(ui, sim, &mut pad.editor, body_h - 10.0),
        },
        Tab::Program => program_view(ui, sim, &mut pad.editor, body_h - 10.0),
        Tab::Jog => jog_down = jog_view(ui, sim, &mut pad.held),
        Tab::Watch => watch_view(ui, sim, &mut pad.watch),
        Tab::Cell => cell_view(ui, sim, &sc),
        Tab::Plots => super::plots::plots_view(ui, sim, &mut pad.plots),
    });
    if pad.tab != Tab::Program {
        // The program tab lists them with its diagnostics.
        for w in &sim.warnings {
            ui.label(egui::RichText::new(w).small().color(level_color(Level::Status)));
        }
    }
    let ctx = ui.ctx().clone();
    if sim.replay.is_none() {
        keys(&ctx, sim, &mut pad.held, start_down, jog_down);
    }
    ui.separator();

    let messages_top = ui.cursor().top();
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new("Messages").strong());
        let waiting = sim.world.controller().to_acknowledge().to_vec();
        if !waiting.is_empty() && ui.button("Confirm all").on_hover_text("Acknowledge every message whose cause is gone").clicked() {
            sim.pending.push(Command::Acknowledge);
        }
    });
    for (i, t) in sim.world.controller().to_acknowledge().to_vec().iter().enumerate() {
        ui.horizontal(|ui| {
            if ui.small_button("OK").on_hover_text("Acknowledge this message").clicked() {
                sim.pending.push(Command::AcknowledgeOne(i));
            }
            ui.label(egui::RichText::new(t).color(level_color(Level::Acknowledgement)));
        });
    }
    egui::ScrollArea::vertical().id_salt("messages").show(ui, |ui| {
        if sim.log.is_empty() {
            ui.label(egui::RichText::new("none").small());
        }
        for m in sim.log.iter().rev().take(50) {
            ui.label(egui::RichText::new(format!("{:>6.1} s  {}", m.time_s, m.text)).color(level_color(m.level)));
        }
    });
    // The pendant fits when the messages show their header and two lines at least.
    let bottom = ui.max_rect().bottom();
    sim.cut_off_px = (messages_top + 60.0 - bottom).max(ui.min_rect().bottom() - bottom).max(0.0);
}

/// The cell's I/O, the axes and the instructor's fault menu.
fn cell_view(ui: &mut egui::Ui, sim: &mut Sim, sc: &crate::sim::scenario::Scenario) {
    // For the instructor: faults injected live (recorded like any command).
    egui::CollapsingHeader::new("Instructor: inject a fault").default_open(false).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            for (label, kind, for_s) in fault_menu(sc) {
                if ui.button(label).clicked() {
                    sim.pending.push(Command::InjectFault { kind, for_s });
                }
            }
        });
    });

    // I/O and axes side by side.
    ui.columns(2, |cols| {
        let ui = &mut cols[0];
        ui.label(egui::RichText::new("Inputs / outputs").strong());
        for b in &sc.light_barriers {
            ui.horizontal(|ui| {
                lamp(ui, sim.world.io.inputs[b.input]);
                ui.label(format!("$IN[{}] {}", b.input, b.name));
            });
        }
        for t in &sc.type_sensors {
            let (a, b) = t.inputs;
            let code = (a..=b).enumerate().fold(0u32, |c, (bit, n)| c | (sim.world.io.inputs[n] as u32) << bit);
            let seen = t.codes.iter().find(|(_, c)| **c == code).map_or("nothing", |(name, _)| name.as_str());
            ui.horizontal(|ui| {
                lamp(ui, code != 0);
                ui.label(format!("$IN[{a}..{b}] {} = {code} ({seen})", t.name));
            });
        }
        for (what, n) in sc.gripper.inputs() {
            ui.horizontal(|ui| {
                lamp(ui, sim.world.io.inputs[n]);
                ui.label(format!("$IN[{n}] {what}"));
            });
        }
        for s in &sc.sensors {
            ui.horizontal(|ui| match s.kind {
                crate::sim::scenario::SensorKind::Presence { input } => {
                    lamp(ui, sim.world.io.inputs[input]);
                    ui.label(format!("$IN[{input}] {}", s.name));
                }
                crate::sim::scenario::SensorKind::Distance { analog } => {
                    ui.label(format!("$ANIN[{analog}] {} = {:.3}", s.name, sim.world.io.analog_in[analog]));
                }
            });
        }
        if let Some(n) = sc.door_input {
            ui.horizontal(|ui| {
                lamp(ui, sim.world.io.inputs[n]);
                ui.label(format!("$IN[{n}] safety gate closed"));
            });
        }
        for c in &sc.conveyors {
            ui.horizontal(|ui| {
                lamp(ui, sim.world.io.outputs[c.motor_output]);
                ui.label(format!("$OUT[{}] conveyor {}", c.motor_output, c.name));
            });
        }
        for c in &sc.conveyors {
            if let Some(r) = c.reverse_output {
                ui.horizontal(|ui| {
                    lamp(ui, sim.world.io.outputs[r]);
                    ui.label(format!("$OUT[{r}] conveyor {} reverse", c.name));
                });
            }
        }
        for (what, n) in sc.gripper.outputs() {
            ui.horizontal(|ui| {
                lamp(ui, sim.world.io.outputs[n]);
                ui.label(format!("$OUT[{n}] {what}"));
            });
        }
        let ui = &mut cols[1];
        ui.label(egui::RichText::new("Axes ($AXIS_ACT)").strong());
        let q = sim.world.axes_deg();
        for (i, a) in q.iter().enumerate() {
            ui.monospace(format!("A{} {:>8.2}°", i + 1, tidy(*a)));
        }
        let tcp = Frame::from_iso(&sim.world.tcp_world());
        ui.monospace(format!("TCP X {:.1} Y {:.1} Z {:.1}", tidy(tcp.x), tidy(tcp.y), tidy(tcp.z)));
        ui.monospace(format!("    A {:.1} B {:.1} C {:.1}", tidy(tcp.a), tidy(tcp.b), tidy(tcp.c)));
    });
}

/// The faults the instructor's menu offers for this cell: (label, fault, how long).
fn fault_menu(sc: &crate::sim::scenario::Scenario) -> Vec<(String, FaultKind, Option<f64>)> {
    let mut out = Vec::new();
    if let Some(b) = sc.light_barriers.first() {
        out.push((format!("$IN[{}] stuck off 10 s", b.input), FaultKind::SensorStuck { input: b.input, value: false }, Some(10.0)));
        out.push((format!("$IN[{}] stuck on 10 s", b.input), FaultKind::SensorStuck { input: b.input, value: true }, Some(10.0)));
    }
    if !matches!(sc.gripper, crate::sim::scenario::GripperSpec::Pen) {
        out.push(("vacuum / grip lost 2 s".into(), FaultKind::VacuumLost, Some(2.0)));
        out.push(("gripper fails 10 s".into(), FaultKind::GripFails, Some(10.0)));
    }
    if let Some(c) = sc.conveyors.first() {
        out.push((format!("{} jams 5 s", c.name), FaultKind::ConveyorJam { conveyor: c.name.clone() }, Some(5.0)));
    }
    for t in sc.all_part_types() {
        out.push((format!("next part: {}", t.name), FaultKind::UnexpectedPart { part_type: t.name.clone() }, None));
    }
    out.push(("E-STOP 3 s".into(), FaultKind::EmergencyStop, Some(3.0)));
    out
}
