//! The program on the pendant: a listing with the smartPAD's folds (collapsed, click to open),
//! the pointers, breakpoints in the line-number gutter, a selected line for touch-up, new
//! motions and block selection; and an editor with KRL colours and live diagnostics. Every
//! action is a command to the core; the diagnostics are the core's.

use std::path::PathBuf;
use std::sync::Arc;

use bevy_egui::egui;
use egui::text::LayoutJob;
use egui::{Color32, FontId, Stroke, TextFormat};

use super::Sim;
use crate::sim::krl::Diagnostic;
use crate::sim::krl::teach::{self, fold_end};
use crate::sim::world::{Command, FormKind, MotionForm, ProgramState};

/// What the program view keeps between frames.
pub struct EditorUi {
    /// The file shown (None: the program's `.src`).
    pub file: Option<PathBuf>,
    /// 1-based selected line.
    pub selected: Option<u32>,
    /// The pointer's line the listing last scrolled to (a replay scrolls when it moves).
    pub followed: Option<u32>,
    /// Fold header lines the student opened.
    pub open_folds: Vec<u32>,
    /// Editing (a text editor) instead of the listing.
    pub editing: bool,
    /// The editor's text and when it last changed (sent to the core after a pause).
    pub buffer: String,
    pub buffer_for: Option<PathBuf>,
    pub changed_at: Option<f64>,
    /// Scroll the view to this line next frame.
    pub jump_to: Option<u32>,
    /// The inline form for new motions.
    pub form: MotionForm,
    /// A touch-up waiting for confirmation.
    pub touch_up: Option<(u32, bool, teach::TouchUp)>,
}

impl Default for EditorUi {
    fn default() -> Self {
        EditorUi {
            file: None,
            selected: None,
            followed: None,
            open_folds: Vec::new(),
            editing: false,
            buffer: String::new(),
            buffer_for: None,
            changed_at: None,
            jump_to: None,
            form: MotionForm::new(FormKind::Ptp),
            touch_up: None,
        }
    }
}

const KEYWORDS: &[&str] = &[
    "DEF",
    "END",
    "DEFFCT",
    "ENDFCT",
    "DEFDAT",
    "ENDDAT",
    "GLOBAL",
    "PUBLIC",
    "DECL",
    "CONST",
    "SIGNAL",
    "STRUC",
    "ENUM",
    "EXT",
    "EXTFCT",
    "IF",
    "THEN",
    "ELSE",
    "ENDIF",
    "FOR",
    "TO",
    "STEP",
    "ENDFOR",
    "WHILE",
    "ENDWHILE",
    "REPEAT",
    "UNTIL",
    "LOOP",
    "ENDLOOP",
    "EXIT",
    "SWITCH",
    "CASE",
    "DEFAULT",
    "ENDSWITCH",
    "GOTO",
    "HALT",
    "RETURN",
    "WAIT",
    "SEC",
    "CONTINUE",
    "INTERRUPT",
    "WHEN",
    "DO",
    "ON",
    "OFF",
    "TRIGGER",
    "DISTANCE",
    "DELAY",
    "PATH",
    "BRAKE",
    "RESUME",
    "PULSE",
    "AND",
    "OR",
    "NOT",
    "EXOR",
    "B_AND",
    "B_OR",
    "B_NOT",
    "B_EXOR",
    "TRUE",
    "FALSE",
    "IN",
    "OUT",
    "SPLINE",
    "ENDSPLINE",
    "PTP_SPLINE",
];
const MOTIONS: &[&str] = &[
    "PTP",
    "LIN",
    "CIRC",
    "PTP_REL",
    "LIN_REL",
    "CIRC_REL",
    "SPTP",
    "SLIN",
    "SCIRC",
    "SPTP_REL",
    "SLIN_REL",
    "SCIRC_REL",
    "SPL",
    "C_PTP",
    "C_DIS",
    "C_VEL",
    "C_ORI",
    "C_SPL",
];
const TYPES: &[&str] = &["INT", "REAL", "BOOL", "CHAR", "FRAME", "POS", "E6POS", "AXIS", "E6AXIS", "PDAT", "LDAT", "FDAT"];

#[derive(Clone, Copy, PartialEq)]
enum Tok {
    Plain,
    Keyword,
    Motion,
    Type,
    System,
    Number,
    Text,
    Comment,
}

fn colour(t: Tok) -> Color32 {
    match t {
        Tok::Plain => Color32::from_rgb(220, 220, 220),
        Tok::Keyword => Color32::from_rgb(110, 170, 255),
        Tok::Motion => Color32::from_rgb(255, 170, 60),
        Tok::Type => Color32::from_rgb(90, 210, 190),
        Tok::System => Color32::from_rgb(210, 140, 255),
        Tok::Number => Color32::from_rgb(180, 220, 120),
        Tok::Text => Color32::from_rgb(230, 200, 120),
        Tok::Comment => Color32::from_rgb(130, 140, 130),
    }
}

/// KRL colours for one line: (byte range, kind).
fn tokens(line: &str) -> Vec<(std::ops::Range<usize>, Tok)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind = if c == b';' {
            i = b.len();
            Tok::Comment
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            i = (i + 1).min(b.len());
            Tok::Text
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            Tok::Number
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c == b'&' || c == b'#' {
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let w = line[start..i].to_ascii_uppercase();
            if c == b'$' || c == b'&' || c == b'#' {
                Tok::System
            } else if MOTIONS.contains(&w.as_str()) {
                Tok::Motion
            } else if KEYWORDS.contains(&w.as_str()) {
                Tok::Keyword
            } else if TYPES.contains(&w.as_str()) {
                Tok::Type
            } else {
                Tok::Plain
            }
        } else {
            i += line[i..].chars().next().map_or(1, char::len_utf8);
            Tok::Plain
        };
        out.push((start..i, kind));
    }
    out
}

/// Appends `line` in KRL colours; `error` underlines it with a red line.
fn append_line(job: &mut LayoutJob, line: &str, error: Option<Color32>, font: &FontId) {
    for (r, t) in tokens(line) {
        let mut f = TextFormat::simple(font.clone(), colour(t));
        if let Some(c) = error {
            f.underline = Stroke::new(1.5, c);
        }
        job.append(&line[r], 0.0, f);
    }
}

fn diag_colour(d: &Diagnostic) -> Color32 {
    if d.is_error() { Color32::from_rgb(255, 80, 70) } else { Color32::from_rgb(240, 200, 40) }
}

/// The fold's title as the smartPAD shows it: `;FOLD PTP P1 Vel=100 % ...;%{PE}...` -> `PTP P1 Vel=100 % ...`.
fn fold_title(line: &str) -> Option<String> {
    let t = line.trim_start();
    let rest = t.get(..5).filter(|h| h.eq_ignore_ascii_case(";FOLD")).map(|_| &t[5..])?;
    Some(rest.split(";%").next().unwrap_or("").trim().to_string())
}

/// The program view: file choice, tools, listing or editor, diagnostics.
pub fn program_view(ui: &mut egui::Ui, sim: &mut Sim, ed: &mut EditorUi, height: f32) {
    let state = sim.world.state();
    let src_path = sim.world.loaded().src_path.clone();
    let file = ed.file.clone().unwrap_or(src_path.clone());
    let may_edit = matches!(state, ProgramState::Ready | ProgramState::Finished | ProgramState::Faulted);
    // The program's own .src and .dat as tabs; the other modules of its folder in a menu.
    let files: Vec<PathBuf> = sim.world.files().iter().map(|(p, _)| p.to_path_buf()).collect();
    let own = |p: &PathBuf| p.with_extension("") == src_path.with_extension("");
    ui.horizontal_wrapped(|ui| {
        let name = |f: &PathBuf| {
            let star = if sim.world.unsaved(f) { " *" } else { "" };
            format!("{}{star}", f.file_name().and_then(|n| n.to_str()).unwrap_or("?"))
        };
        let mut pick = None;
        for f in files.iter().filter(|f| own(f)) {
            if ui.selectable_label(*f == file, name(f)).on_hover_text("* not saved").clicked() {
                pick = Some(f.clone());
            }
        }
        let others: Vec<&PathBuf> = files.iter().filter(|f| !own(f)).collect();
        if !others.is_empty() {
            let shown = if own(&file) { format!("{} other module(s)", others.len()) } else { name(&file) };
            egui::ComboBox::from_id_salt("modules").selected_text(shown).show_ui(ui, |ui| {
                for f in others {
                    if ui.selectable_label(*f == file, name(f)).clicked() {
                        pick = Some(f.clone());
                    }
                }
            });
        }
        if let Some(f) = pick {
            flush(sim, ed);
            ed.file = Some(f);
            ed.editing = false;
            ed.selected = None;
        }
        ui.separator();
        let label = if ed.editing { "Listing" } else { "Edit" };
        let hint =
            if may_edit { "Edit the text (KRL colours, live diagnostics)" } else { "Reset the program to edit it (as on the controller)" };
        if ui.add_enabled(may_edit || ed.editing, egui::Button::new(label)).on_hover_text(hint).on_disabled_hover_text(hint).clicked() {
            ed.editing = !ed.editing;
        }
        let save = ui.add_enabled(sim.world.unsaved(&file), egui::Button::new("Save")).on_hover_text("Ctrl+S");
        if save.clicked() || ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::S)) {
            flush(sim, ed);
            sim.pending.push(Command::Save { file: file.clone() });
        }
        if ui
            .add_enabled(may_edit, egui::Button::new("Reload"))
            .on_hover_text("Read the file again from disk (drops unsaved changes)")
            .clicked()
        {
            match crate::sim::krl::source::read_text(&file) {
                Ok(text) => {
                    sim.pending.push(Command::Reload { file: file.clone(), text });
                    ed.buffer_for = None;
                }
                Err(e) => sim.note(format!("{}: cannot read it: {e}", file.display())),
            }
        }
    });
    if !may_edit && ed.editing {
        ed.editing = false;
        flush(sim, ed);
    }
    if !may_edit {
        ui.label(
            egui::RichText::new("The program is active: reset it to edit (touch-up and breakpoints work now).")
                .small()
                .color(Color32::GRAY),
        );
    }
    if file == src_path {
        teach_tools(ui, sim, ed, may_edit);
    }
    let diags: Vec<Diagnostic> = sim.world.diagnostics().iter().filter(|d| same_file(&d.file, &file)).cloned().collect();
    // Room for the tool rows above and the diagnostics below.
    let list_h = (height - 80.0 - 18.0 * diags.len().min(4) as f32).max(100.0);
    if ed.editing {
        editor(ui, sim, ed, &file, &diags, list_h);
    } else {
        listing(ui, sim, ed, &file, file == src_path, &diags, list_h);
    }
    // The diagnostics: click one to go to its line.
    egui::ScrollArea::vertical().id_salt("diagnostics").max_height(72.0).auto_shrink([false, true]).show(ui, |ui| {
        for d in &diags {
            let text = format!("{}:{} {} {}", d.span.line, d.span.col, d.code, d.message);
            let r = ui.add(egui::Label::new(egui::RichText::new(text).small().color(diag_colour(d))).sense(egui::Sense::click()));
            if r.on_hover_text(d.hint.clone().unwrap_or_default()).clicked() {
                ed.selected = Some(d.span.line);
                ed.jump_to = Some(d.span.line);
            }
        }
    });
}

fn same_file(diag_file: &str, path: &std::path::Path) -> bool {
    std::path::Path::new(diag_file) == path || path.file_name().is_some_and(|n| diag_file.ends_with(&*n.to_string_lossy()))
}

/// Sends the editor's text to the core now (before a save or when leaving the editor).
fn flush(sim: &mut Sim, ed: &mut EditorUi) {
    if let (Some(_), Some(f)) = (ed.changed_at.take(), ed.buffer_for.clone()) {
        sim.pending.push(Command::Edit { file: f, text: ed.buffer.clone() });
    }
}

/// Touch-up, new motions, block selection and breakpoints on the selected line.
fn teach_tools(ui: &mut egui::Ui, sim: &mut Sim, ed: &mut EditorUi, may_edit: bool) {
    let sel = ed.selected;
    ui.horizontal_wrapped(|ui| {
        let running = sim.world.state() == ProgramState::Running;
        // A CIRC has two points: its auxiliary point gets its own button.
        let circ = sel.and_then(|l| teach::motion_keyword(&sim.world.loaded().src, l)).is_some_and(|k| k.ends_with("CIRC"));
        for (aux, label, hint) in [
            (false, "Touch up", "Write the robot's pose now (selected tool and base) into the point of the selected motion"),
            (true, "Touch up aux", "Write the robot's pose now into the auxiliary point of the selected CIRC"),
        ] {
            if aux && !circ {
                continue;
            }
            if ui.add_enabled(sel.is_some() && !running, egui::Button::new(label)).on_hover_text(hint).clicked()
                && let Some(line) = sel
            {
                let pose = sim.world.controller().taught_pose();
                let dat = sim.world.loaded().dat.as_ref().map(|d| d.1.clone()).unwrap_or_default();
                match teach::touch_up(&sim.world.loaded().src, &dat, line, aux, &pose) {
                    Ok(t) => ed.touch_up = Some((line, aux, t)),
                    Err(e) => sim.note(format!("Touch-up: {e}")),
                }
            }
        }
        ui.separator();
        egui::ComboBox::from_id_salt("form").width(60.0).selected_text(format!("{:?}", ed.form.kind).to_uppercase()).show_ui(ui, |ui| {
            for k in [FormKind::Ptp, FormKind::Lin, FormKind::Circ] {
                if ui.selectable_label(ed.form.kind == k, format!("{k:?}").to_uppercase()).clicked() && ed.form.kind != k {
                    ed.form = MotionForm { cont: ed.form.cont, ..MotionForm::new(k) };
                }
            }
        });
        ui.checkbox(&mut ed.form.cont, "CONT");
        let (range, suffix) = if ed.form.kind == FormKind::Ptp { (1.0..=100.0, " %") } else { (0.001..=2.0, " m/s") };
        let decimals = if ed.form.kind == FormKind::Ptp { 0 } else { 2 };
        ui.add(egui::DragValue::new(&mut ed.form.vel).range(range).speed(0.05).fixed_decimals(decimals).suffix(suffix))
            .on_hover_text("The form's velocity");
        if ui
            .add_enabled(sel.is_some() && may_edit, egui::Button::new("New motion"))
            .on_hover_text("Insert the inline form below the selected line, at the robot's pose now")
            .clicked()
            && let Some(line) = sel
        {
            sim.pending.push(Command::NewMotion { after_line: line, form: ed.form });
        }
        ui.separator();
        if ui
            .add_enabled(sel.is_some() && !running, egui::Button::new("Block selection"))
            .on_hover_text("Put the program pointer on the selected line: Start makes a BCO run to it")
            .clicked()
            && let Some(line) = sel
        {
            sim.pending.push(Command::SelectBlock { line });
        }
    });
    // Touch-up asks first, showing the old and the new values.
    if let Some((line, aux, t)) = ed.touch_up.clone() {
        let mut open = true;
        egui::Window::new(format!("Touch up {}", t.point)).collapsible(false).open(&mut open).show(ui.ctx(), |ui| {
            ui.label(format!(
                "Line {line}: write the pose now into {}{}?",
                t.point,
                t.fdat.as_ref().map_or(String::new(), |f| format!(" and {f}"))
            ));
            if let Some((tool, base)) = t.frames_changed {
                let pose = sim.world.controller().taught_pose();
                let text = format!(
                    "The point was taught with Tool[{tool}] Base[{base}]; the pendant has Tool[{}] Base[{}]: it will be written in those.",
                    pose.tool_no, pose.base_no
                );
                ui.label(egui::RichText::new(text).color(Color32::from_rgb(240, 200, 40)));
            }
            ui.monospace(format!("old {}", t.old));
            ui.monospace(format!("new {}", t.new));
            ui.horizontal(|ui| {
                if ui.button("Cmd OK").clicked() {
                    sim.pending.push(Command::TouchUp { line, aux });
                    ed.touch_up = None;
                }
                if ui.button("Cancel").clicked() {
                    ed.touch_up = None;
                }
            });
        });
        if !open {
            ed.touch_up = None;
        }
    }
}

/// The listing: folds collapsed, pointers, breakpoints (click the number), a selected line.
fn listing(ui: &mut egui::Ui, sim: &mut Sim, ed: &mut EditorUi, file: &std::path::Path, is_src: bool, diags: &[Diagnostic], height: f32) {
    let text = sim.world.file_text(file).unwrap_or("").replace('\r', "");
    let lines: Vec<&str> = text.split('\n').collect();
    let state = sim.world.state();
    // The pointers and breakpoints of this file: the program's own module is None.
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    let module = if is_src { None } else { name.clone() };
    let here = |p: (Option<String>, u32)| (p.0 == module).then_some(p.1);
    let c = sim.world.controller();
    let adv = here(c.advance_pointer()).filter(|_| state != ProgramState::Ready);
    let main = c.main_run_pointer().and_then(here);
    let breakpoints: Vec<u32> = c.breakpoints().into_iter().filter_map(here).collect();
    let is_module =
        is_src || name.as_deref().is_some_and(|n| n.to_ascii_lowercase().ends_with(".src") || n.to_ascii_lowercase().ends_with(".sub"));
    let follow = main.or(adv);
    // A replay's pointer stands still while paused: the listing scrolls to it when it moves.
    let moved = sim.replay.is_some() && ed.followed != follow;
    ed.followed = follow;
    let font = FontId::monospace(13.0);
    egui::ScrollArea::both().id_salt("listing").max_height(height).auto_shrink([false, true]).show(ui, |ui| {
        ui.spacing_mut().item_spacing.y = 1.0;
        let mut i = 0;
        while i < lines.len() {
            let n = i as u32 + 1;
            let title = fold_title(lines[i]);
            let closed = title.is_some() && !ed.open_folds.contains(&n);
            let end = if closed { fold_end(&lines, i) } else { i };
            // A pointer inside a closed fold shows on its header.
            let inside = |l: Option<u32>| l.is_some_and(|l| l >= n && l <= end as u32 + 1);
            ui.horizontal(|ui| {
                let bp = breakpoints.contains(&n);
                let gutter = egui::RichText::new(format!("{}{n:>4}", if bp { "●" } else { " " })).font(font.clone()).color(if bp {
                    Color32::from_rgb(255, 80, 70)
                } else {
                    Color32::GRAY
                });
                let g = ui.add(egui::Label::new(gutter).sense(egui::Sense::click()));
                if is_module && g.on_hover_text("Click: breakpoint on this line").clicked() {
                    sim.pending.push(Command::SetBreakpoint { file: module.clone(), line: n, on: !bp });
                }
                let marker = if inside(main) {
                    "▶"
                } else if inside(adv) {
                    "»"
                } else {
                    " "
                };
                let mut job = LayoutJob::default();
                job.append(marker, 0.0, TextFormat::simple(font.clone(), Color32::from_rgb(80, 220, 100)));
                let err = diags.iter().find(|d| d.span.line >= n && d.span.line <= end as u32 + 1).map(diag_colour);
                match &title {
                    Some(t) if closed => append_line(&mut job, &format!("⊞ {t}"), err, &font),
                    Some(t) => append_line(&mut job, &format!("⊟ {t}"), err, &font),
                    None => append_line(&mut job, lines[i], err, &font),
                }
                let mut label = egui::Label::new(job).wrap_mode(egui::TextWrapMode::Extend).sense(egui::Sense::click());
                if ed.selected.is_some_and(|s| s >= n && s <= end as u32 + 1) {
                    label = egui::Label::new(highlight(lines[i], &title, closed, marker, &font)).sense(egui::Sense::click());
                }
                let r = ui.add(label);
                let r = match diags.iter().find(|d| d.span.line >= n && d.span.line <= end as u32 + 1) {
                    Some(d) => r.on_hover_text(format!("{} {}", d.code, d.message)),
                    None => r,
                };
                if r.clicked() {
                    ed.selected = Some(n);
                    if title.is_some() && r.rect.left() + 40.0 > ui.ctx().pointer_latest_pos().map_or(f32::MAX, |p| p.x) {
                        // A click on the fold's sign opens or closes it.
                        if closed { ed.open_folds.push(n) } else { ed.open_folds.retain(|f| *f != n) }
                    }
                }
                if r.double_clicked() && title.is_some() {
                    if closed { ed.open_folds.push(n) } else { ed.open_folds.retain(|f| *f != n) }
                }
                let scroll_here = ((state == ProgramState::Running || moved) && inside(follow))
                    || ed.jump_to.is_some_and(|j| j >= n && j <= end as u32 + 1);
                if scroll_here {
                    let start = egui::Rect::from_min_size(r.rect.min, egui::vec2(1.0, r.rect.height()));
                    ui.scroll_to_rect(start, Some(egui::Align::Center));
                }
            });
            i = end + 1;
        }
    });
    ed.jump_to = None;
}

fn highlight(line: &str, title: &Option<String>, closed: bool, marker: &str, font: &FontId) -> LayoutJob {
    let mut job = LayoutJob::default();
    let bg = Color32::from_rgb(40, 70, 120);
    let text = match title {
        Some(t) => format!("{marker}{} {t}", if closed { "⊞" } else { "⊟" }),
        None => format!("{marker}{line}"),
    };
    let mut f = TextFormat::simple(font.clone(), Color32::WHITE);
    f.background = bg;
    job.append(&text, 0.0, f);
    job
}

/// The editor: the whole text with KRL colours, errors underlined, line numbers beside it.
fn editor(ui: &mut egui::Ui, sim: &mut Sim, ed: &mut EditorUi, file: &std::path::Path, diags: &[Diagnostic], height: f32) {
    if ed.buffer_for.as_deref() != Some(file) {
        ed.buffer = sim.world.file_text(file).unwrap_or("").replace('\r', "");
        ed.buffer_for = Some(file.to_path_buf());
        ed.changed_at = None;
    }
    let now = ui.input(|i| i.time);
    // Live diagnostics: the text goes to the core after a short pause in typing.
    if ed.changed_at.is_some_and(|t| now - t > 0.4) {
        flush(sim, ed);
    }
    let bad: Vec<(u32, Color32)> = diags.iter().map(|d| (d.span.line, diag_colour(d))).collect();
    let font = FontId::monospace(13.0);
    // Lines are not wrapped, so they stay beside their numbers.
    let mut layouter = |ui: &egui::Ui, text: &dyn egui::TextBuffer, _wrap: f32| -> Arc<egui::Galley> {
        let mut job = LayoutJob::default();
        for (i, line) in text.as_str().split('\n').enumerate() {
            if i > 0 {
                job.append("\n", 0.0, TextFormat::simple(font.clone(), Color32::WHITE));
            }
            let err = bad.iter().find(|(l, _)| *l == i as u32 + 1).map(|(_, c)| *c);
            append_line(&mut job, line, err, &font);
        }
        job.wrap.max_width = f32::INFINITY;
        ui.fonts_mut(|f| f.layout_job(job))
    };
    let lines = ed.buffer.split('\n').count();
    let id = egui::Id::new("krl-editor");
    if let Some(line) = ed.jump_to.take() {
        // Put the cursor at the start of the line.
        let at: usize = ed.buffer.split('\n').take(line.saturating_sub(1) as usize).map(|l| l.chars().count() + 1).sum();
        if let Some(mut st) = egui::TextEdit::load_state(ui.ctx(), id) {
            st.cursor.set_char_range(Some(egui::text::CCursorRange::one(egui::text::CCursor::new(at))));
            st.store(ui.ctx(), id);
        }
    }
    egui::ScrollArea::both().id_salt("editor").max_height(height).auto_shrink([false, true]).show(ui, |ui| {
        ui.horizontal_top(|ui| {
            let numbers: String = (1..=lines).map(|n| format!("{n:>4}\n")).collect();
            ui.add(
                egui::Label::new(egui::RichText::new(numbers).font(font.clone()).color(Color32::GRAY))
                    .wrap_mode(egui::TextWrapMode::Extend),
            );
            let r = ui.add(
                egui::TextEdit::multiline(&mut ed.buffer)
                    .id(id)
                    .code_editor()
                    .font(font.clone())
                    .desired_width(f32::INFINITY)
                    .desired_rows(lines.max(10))
                    .layouter(&mut layouter),
            );
            if r.changed() {
                ed.changed_at = Some(now);
            }
        });
    });
}
