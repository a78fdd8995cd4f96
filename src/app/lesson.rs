//! The Lesson tab: the lesson's text, its objectives with their state in this run, a Check
//! button that grades the program in the window (public run and public variants, on a thread),
//! the student's best score, previous and next.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};

use bevy::prelude::Resource;
use bevy_egui::egui;
use egui_commonmark::{CommonMarkCache, CommonMarkViewer};

use super::Sim;
use crate::sim::exercise::{self, Grade};
use crate::sim::world::ProgramState;

/// The lesson the window was opened on (`robocell lesson N`).
#[derive(Resource, Clone, Debug)]
pub struct LessonInfo {
    pub number: u32,
    pub title: String,
    /// `lesson.md`.
    pub text: String,
    /// The student's work folder (its `progress.ron`).
    pub work: PathBuf,
    /// The folder of all lessons, for previous and next.
    pub root: PathBuf,
    pub prev: Option<u32>,
    pub next: Option<u32>,
}

/// The tab's state between frames.
#[derive(Default)]
pub struct LessonUi {
    cache: CommonMarkCache,
    /// This run judged so far, and the tick it was judged at.
    live: Option<(u64, Grade)>,
    checking: Option<Receiver<Result<Grade, String>>>,
    checked: Option<Result<Grade, String>>,
    /// A line about the progress file (saved, or why not).
    saved: Option<String>,
    best: Option<Option<crate::course::Best>>,
}

/// How often (simulated seconds) the objectives are judged again while the program runs.
const LIVE_EVERY_S: f64 = 0.5;

pub fn lesson_view(ui: &mut egui::Ui, sim: &mut Sim, info: &LessonInfo, st: &mut LessonUi) {
    let best =
        *st.best.get_or_insert_with(|| crate::course::Progress::load(&info.work).ok().and_then(|p| p.best.get(&info.number).copied()));
    ui.horizontal(|ui| {
        if let Some(p) = info.prev
            && ui.button(format!("◀ Lesson {p}")).on_hover_text("Open the previous lesson (your work is kept)").clicked()
        {
            open_lesson(sim, info, p);
        }
        ui.label(egui::RichText::new(format!("Lesson {}", info.number)).strong());
        if let Some(n) = info.next
            && ui.button(format!("Lesson {n} ▶")).on_hover_text("Open the next lesson (your work is kept)").clicked()
        {
            open_lesson(sim, info, n);
        }
        match best {
            Some(b) => ui.label(format!("best {} / {}", fmt(b.score), fmt(b.of))),
            None => ui.label("not checked yet"),
        };
    });

    // The objectives, judged on this run so far.
    let tick = sim.world.tick();
    let stale = st.live.as_ref().is_none_or(|(t, _)| tick < *t || (tick - t) as f64 * sim.world.dt() >= LIVE_EVERY_S);
    if stale || sim.world.run_over() && st.live.as_ref().is_some_and(|(t, _)| *t != tick) {
        st.live = Some((tick, sim.world.grade_this_run()));
    }
    let running = !sim.world.run_over() && sim.world.state() != ProgramState::Ready;
    ui.label(egui::RichText::new("Objectives (this run)").strong());
    if let Some((_, g)) = &st.live {
        for r in &g.objectives {
            let (mark, colour) = match (r.passed, sim.world.run_over() || r.variant == "program") {
                (true, _) => ("✔", egui::Color32::from_rgb(80, 220, 100)),
                (false, true) => ("✖", egui::Color32::from_rgb(255, 120, 90)),
                (false, false) if running => ("…", egui::Color32::GRAY),
                (false, false) => ("·", egui::Color32::GRAY),
            };
            ui.label(egui::RichText::new(format!("{mark} {:.0} pts  {}", r.max_points, r.title)).color(colour))
                .on_hover_text(&r.explanation);
        }
    }

    // Check: the grade of the public run and the public variants, as `robocell check` gives it.
    ui.horizontal(|ui| {
        let busy = st.checking.is_some();
        if ui
            .add_enabled(!busy, egui::Button::new(egui::RichText::new("✔ Check").strong()))
            .on_hover_text("Run the program on the lesson and its public variants, and grade it")
            .clicked()
        {
            let loaded = sim.world.loaded().clone();
            let (tx, rx) = channel();
            std::thread::spawn(move || {
                let r = exercise::grade_program(&loaded, false).map(|(g, _)| g).map_err(|d| {
                    let n = d.iter().filter(|d| d.is_error()).count();
                    format!("the program has {n} error(s) and was not run: {}", d.first().map(|d| d.message.clone()).unwrap_or_default())
                });
                let _ = tx.send(r);
            });
            st.checking = Some(rx);
            st.checked = None;
        }
        if busy {
            ui.spinner();
            ui.label("checking…");
        }
    });
    if let Some(rx) = &st.checking
        && let Ok(r) = rx.try_recv()
    {
        st.checking = None;
        if let Ok(g) = &r {
            st.saved = Some(match crate::course::record_score(&info.work, info.number, g.score, g.max_score) {
                Ok(true) => format!("your best so far: saved in {}", info.work.join(crate::course::PROGRESS_FILE).display()),
                Ok(false) => "not better than your best".into(),
                Err(e) => format!("progress not saved: {e}"),
            });
            st.best = None;
        }
        st.checked = Some(r);
    }
    match &st.checked {
        Some(Ok(g)) => checked_view(ui, g, st.saved.as_deref()),
        Some(Err(e)) => {
            ui.colored_label(egui::Color32::from_rgb(255, 120, 90), e);
        }
        None => {}
    }
    ui.separator();
    CommonMarkViewer::new().show(ui, &mut st.cache, &info.text);
}

fn checked_view(ui: &mut egui::Ui, g: &Grade, saved: Option<&str>) {
    let colour = if g.full_marks() { egui::Color32::from_rgb(80, 220, 100) } else { egui::Color32::from_rgb(255, 170, 60) };
    ui.label(egui::RichText::new(format!("Score {} / {}", fmt(g.score), fmt(g.max_score))).color(colour).strong());
    if let Some(s) = saved {
        ui.label(egui::RichText::new(s).small());
    }
    let mut last = "";
    for r in &g.objectives {
        if r.title != last {
            let (p, m) = g.totals(&r.title);
            ui.label(egui::RichText::new(format!("{} / {}  {}", fmt(p), fmt(m), r.title)).strong());
            last = &r.title;
        }
        let mark = if r.passed { "✔" } else { "✖" };
        ui.label(egui::RichText::new(format!("   {mark} {}: {}", r.variant, r.explanation)).small());
    }
    if let Some(gate) = &g.gate_failed {
        ui.label(format!("The objective `{gate}` must pass for any points."));
    }
    for (title, hint) in &g.hints {
        ui.label(egui::RichText::new(format!("Hint ({title}): {hint}")).color(egui::Color32::from_rgb(90, 160, 255)));
    }
}

fn fmt(x: f64) -> String {
    crate::grading::outputs::fmt(x)
}

/// Opens lesson `n` in a new window (`robocell lesson n`) and closes this one; the program's
/// files are saved by the editor, the work folder keeps them.
fn open_lesson(sim: &mut Sim, info: &LessonInfo, n: u32) {
    let unsaved: Vec<String> =
        sim.world.files().iter().filter(|(p, _)| sim.world.unsaved(p)).map(|(p, _)| p.display().to_string()).collect();
    if !unsaved.is_empty() {
        sim.note(format!("Save your changes first ({}), then open lesson {n}", unsaved.join(", ")));
        return;
    }
    let exe = std::env::current_exe();
    let spawned = exe.map_err(|e| e.to_string()).and_then(|exe| {
        std::process::Command::new(exe)
            .arg("lesson")
            .arg(n.to_string())
            .arg("--work")
            .arg(&info.work)
            .arg("--lessons")
            .arg(&info.root)
            .spawn()
            .map_err(|e| e.to_string())
    });
    match spawned {
        Ok(_) => sim.quit = true,
        Err(e) => sim.note(format!("cannot open lesson {n}: {e}")),
    }
}
