//! The program's files in the world: the editor's changes, saving, touch-up and new motions.
//! Texts change here; writing them to disk is the window's (`Event::WriteFile`). As on the
//! controller, a running or stopped program cannot be edited: reset it first.

use std::path::Path;

use super::{Event, Level, Message, ProgramState, World};
use crate::sim::controller::Controller;
use crate::sim::krl::Diagnostic;
use crate::sim::krl::teach::{self, MotionForm};
use crate::sim::krl::value::{StructVal, Value};

impl World {
    /// Builds the world for the window: a program with errors still opens, with its text and
    /// diagnostics for the editor, and Start refused until they are fixed.
    pub fn open(loaded: crate::sim::scenario::Loaded) -> (World, Vec<Diagnostic>) {
        match World::new(loaded.clone()) {
            Ok(w) => w,
            Err(diags) => {
                let mut stub = loaded.clone();
                // An empty program stands in, under its own name: any file name opens.
                stub.src = "DEF program( )\nEND\n".into();
                stub.src_path = loaded.src_path.with_file_name("program.src");
                stub.dat = None;
                stub.others.clear();
                let (mut w, _) = World::new(stub).expect("an empty program loads");
                w.loaded = loaded;
                w.mark_saved();
                w.diagnostics = diags.clone();
                (w, diags)
            }
        }
    }

    /// The program's files: its `.src`, its `.dat`, and the other modules loaded with it.
    pub fn files(&self) -> Vec<(&Path, &str)> {
        let l = &self.loaded;
        let mut out = vec![(l.src_path.as_path(), l.src.as_str())];
        out.extend(l.dat.iter().map(|(p, t)| (p.as_path(), t.as_str())));
        out.extend(l.others.iter().map(|(p, t)| (p.as_path(), t.as_str())));
        out
    }

    /// A program file's text now (edited or not).
    pub fn file_text(&self, path: &Path) -> Option<&str> {
        self.files().into_iter().find(|(p, _)| *p == path).map(|(_, t)| t)
    }

    /// Every file's text now counts as what is on disk.
    pub(super) fn mark_saved(&mut self) {
        self.saved = self.files().into_iter().map(|(p, t)| (p.to_path_buf(), t.to_string())).collect();
    }

    /// The file was edited and not saved.
    pub fn unsaved(&self, path: &Path) -> bool {
        let saved = self.saved.iter().find(|(p, _)| p == path).map(|(_, t)| t.as_str());
        self.file_text(path).is_some_and(|t| saved != Some(t))
    }

    /// The program's diagnostics as last loaded (errors keep it from running).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    fn text_mut(&mut self, path: &Path) -> Option<&mut String> {
        let l = &mut self.loaded;
        if l.src_path == path {
            return Some(&mut l.src);
        }
        if let Some((p, t)) = &mut l.dat
            && p == path
        {
            return Some(t);
        }
        l.others.iter_mut().find(|(p, _)| p == path).map(|(_, t)| t)
    }

    pub(super) fn note(&self, ev: &mut Vec<Event>, level: Level, text: String) {
        ev.push(Event::Message(Message { level, text, line: None, time_s: self.time_s() }));
    }

    /// Why the program's text may not change now, if it may not.
    fn edit_blocked(&self) -> Option<&'static str> {
        match self.state() {
            ProgramState::Running | ProgramState::Stopped | ProgramState::Halted => {
                Some("The program is selected and active: reset it before editing (as on the controller)")
            }
            _ => None,
        }
    }

    /// The editor's text for `file` (saved when it comes from disk).
    pub(super) fn edit(&mut self, file: &Path, text: &str, from_disk: bool, ev: &mut Vec<Event>) {
        if let Some(why) = self.edit_blocked() {
            return self.note(ev, Level::Status, why.into());
        }
        let Some(old) = self.text_mut(file) else {
            return self.note(ev, Level::Status, format!("{} is not a file of this program", file.display()));
        };
        // The file keeps its line ends.
        let new = crate::sim::krl::source::with_line_ends(text, old.contains("\r\n"));
        if *old == new && !from_disk {
            return;
        }
        *old = new.clone();
        if from_disk {
            match self.saved.iter_mut().find(|(p, _)| p == file) {
                Some((_, t)) => *t = new,
                None => self.saved.push((file.to_path_buf(), new)),
            }
        }
        self.reload_program(ev);
    }

    /// Saves `file` as it is now.
    pub(super) fn save(&mut self, file: &Path, ev: &mut Vec<Event>) {
        let Some(text) = self.file_text(file).map(str::to_string) else {
            return self.note(ev, Level::Status, format!("{} is not a file of this program", file.display()));
        };
        self.write(file, text, ev);
    }

    fn write(&mut self, file: &Path, text: String, ev: &mut Vec<Event>) {
        match self.saved.iter_mut().find(|(p, _)| p == file) {
            Some((_, t)) => *t = text.clone(),
            None => self.saved.push((file.to_path_buf(), text.clone())),
        }
        ev.push(Event::WriteFile { path: file.to_path_buf(), text });
    }

    /// Builds the controller again from the texts as they are now; the robot stays where it
    /// stands. With errors, the last program that loaded stays selected and Start is refused.
    fn reload_program(&mut self, ev: &mut Vec<Event>) {
        self.program_results = std::sync::OnceLock::new();
        match Controller::new(&self.loaded) {
            Ok((mut c, diags)) => {
                c.take_over(&self.controller);
                self.controller = c;
                self.diagnostics = diags;
                ev.push(Event::State(ProgramState::Ready));
            }
            Err(diags) => {
                let n = diags.iter().filter(|d| d.is_error()).count();
                self.diagnostics = diags;
                self.note(ev, Level::Status, format!("The program has {n} error(s): it does not run until they are fixed"));
            }
        }
    }

    /// Selects another module of the program's folder as the program (its main DEF runs at the
    /// next Start); the robot and the cell stay as they are. Refused while a program is active.
    pub(super) fn select_program(&mut self, name: &str, ev: &mut Vec<Event>) {
        if self.edit_blocked().is_some() {
            return self.note(ev, Level::Status, "The program is active: reset it before selecting another".into());
        }
        let want = name.trim();
        let want = want.strip_suffix(".src").or_else(|| want.strip_suffix(".SRC")).unwrap_or(want);
        let stem_is = |p: &Path, ext: &str| {
            p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
                && p.file_stem().is_some_and(|s| s.to_string_lossy().eq_ignore_ascii_case(want))
        };
        let l = &self.loaded;
        if stem_is(&l.src_path, "src") {
            return self.note(ev, Level::Notification, format!("{} is the selected program", want));
        }
        let Some(i) = l.others.iter().position(|(p, _)| stem_is(p, "src")) else {
            let names = l.program_names().join(", ");
            return self.note(ev, Level::Status, format!("No program `{want}` in the program's folder (there are: {names})"));
        };
        let mut next = self.loaded.clone();
        let (src_path, src) = next.others.remove(i);
        let dat = next.others.iter().position(|(p, _)| stem_is(p, "dat")).map(|j| next.others.remove(j));
        next.others.push((std::mem::replace(&mut next.src_path, src_path), std::mem::replace(&mut next.src, src)));
        if let Some(d) = std::mem::replace(&mut next.dat, dat) {
            next.others.push(d);
        }
        if let Err(diags) = Controller::new(&next) {
            let n = diags.iter().filter(|d| d.is_error()).count();
            return self.note(ev, Level::Status, format!("{want} has {n} error(s): not selected"));
        }
        self.loaded = next;
        self.reload_program(ev);
        self.note(ev, Level::Notification, format!("Program {want} selected"));
    }

    /// Touch-up: the pose now into the point of the motion at `line`.
    pub(super) fn touch_up(&mut self, line: u32, aux: bool, ev: &mut Vec<Event>) {
        if self.state() == ProgramState::Running {
            return self.note(ev, Level::Status, "Stop the program before a touch-up".into());
        }
        let Some((dat_path, dat)) = self.loaded.dat.clone() else {
            return self.note(ev, Level::Status, "This program has no .dat: touch-up writes its points there".into());
        };
        let pose = self.controller.taught_pose();
        let t = match teach::touch_up(&self.loaded.src, &dat, line, aux, &pose) {
            Ok(t) => t,
            Err(e) => return self.note(ev, Level::Status, format!("Touch-up: {e}")),
        };
        self.loaded.dat = Some((dat_path.clone(), t.dat.clone()));
        self.program_results = std::sync::OnceLock::new();
        // The running program sees the new values too (its data list is this file).
        if let Some(v) = point_value(&t.ty, &pose) {
            self.controller.set_data(&t.point, v);
        }
        if let Some(f) = &t.fdat
            && let Some(Value::Struct(mut s)) = self.controller.variable(f).cloned()
        {
            if let Some(v) = s.get_mut("TOOL_NO") {
                *v = Value::Int(pose.tool_no as i32);
            }
            if let Some(v) = s.get_mut("BASE_NO") {
                *v = Value::Int(pose.base_no as i32);
            }
            self.controller.set_data(f, Value::Struct(s));
        }
        let text = format!("Touch-up {}: {} (was {})", t.point, t.new, t.old);
        ev.push(Event::Message(Message { level: Level::Notification, text, line: Some(line), time_s: self.time_s() }));
        self.write(&dat_path, t.dat, ev);
    }

    /// A new motion from the inline form below `after`, at the pose now.
    pub(super) fn new_motion(&mut self, after: u32, form: &MotionForm, ev: &mut Vec<Event>) {
        if let Some(why) = self.edit_blocked() {
            return self.note(ev, Level::Status, why.into());
        }
        let src_path = self.loaded.src_path.clone();
        let (dat_path, dat) = match self.loaded.dat.clone() {
            Some(d) => d,
            None => {
                let module = src_path.file_stem().and_then(|s| s.to_str()).unwrap_or("program").to_string();
                (src_path.with_extension("dat"), teach::empty_dat(&module, self.loaded.src.contains("\r\n")))
            }
        };
        let pose = self.controller.taught_pose();
        let m = match teach::new_motion(&self.loaded.src, &dat, after, form, &pose) {
            Ok(m) => m,
            Err(e) => return self.note(ev, Level::Status, format!("New motion: {e}")),
        };
        self.loaded.src = m.src.clone();
        self.loaded.dat = Some((dat_path.clone(), m.dat.clone()));
        let text = format!("New motion {:?} {} inserted", form.kind, m.points.join(", ")).to_uppercase();
        ev.push(Event::Message(Message { level: Level::Notification, text, line: Some(m.line), time_s: self.time_s() }));
        self.write(&src_path, m.src, ev);
        self.write(&dat_path, m.dat, ev);
        self.reload_program(ev);
    }
}

/// The value a touched-up point of type `ty` takes.
fn point_value(ty: &str, pose: &teach::Pose) -> Option<Value> {
    let (full, keep): (Value, usize) = match ty {
        "E6POS" => (Value::e6pos(&pose.frame, pose.s, pose.t), 14),
        "POS" => (Value::e6pos(&pose.frame, pose.s, pose.t), 8),
        "FRAME" => (Value::frame(&pose.frame), 6),
        "E6AXIS" => (Value::e6axis(&pose.axes), 12),
        "AXIS" => (Value::e6axis(&pose.axes), 6),
        _ => return None,
    };
    let Value::Struct(s) = full else { return None };
    Some(Value::Struct(Box::new(StructVal { ty: ty.to_string(), fields: s.fields.into_iter().take(keep).collect() })))
}
