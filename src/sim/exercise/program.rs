//! Program objectives: constructs a program must use or may not use, found in the parsed
//! program (never by searching its text).

use super::score::ObjectiveResult;
use super::spec::{Construct, ObjectiveKind, ObjectiveSpec};
use crate::sim::krl::ast::{Expr, ExprKind, Module, Stmt, StmtKind};

/// Every construct the module uses, with the line of its first use.
pub fn constructs(m: &Module) -> Vec<(Construct, u32)> {
    let mut out: Vec<(Construct, u32)> = Vec::new();
    let mut note = |c: Construct, line: u32| {
        if !out.iter().any(|(x, _)| *x == c) {
            out.push((c, line));
        }
    };
    for (i, r) in m.routines.iter().enumerate() {
        if r.returns.is_some() {
            note(Construct::Function, r.span.line);
        } else if i > 0 && !r.params.is_empty() {
            note(Construct::SubroutineWithParams, r.span.line);
        }
        for d in &r.decls {
            if let Some(e) = &d.init {
                literal_poses(e, &mut note);
            }
        }
        walk(&r.body, &mut note);
    }
    out.sort_by_key(|(_, l)| *l);
    out
}

fn walk(body: &[Stmt], note: &mut impl FnMut(Construct, u32)) {
    for s in body {
        let line = s.span.line;
        match &s.kind {
            StmtKind::Motion { kind, target, aux, approx, .. } => {
                use crate::sim::krl::ast::MotionKind as M;
                note(
                    match kind {
                        M::Ptp | M::PtpRel => Construct::Ptp,
                        M::Lin | M::LinRel => Construct::Lin,
                        M::Circ | M::CircRel => Construct::Circ,
                        M::Spl => Construct::Spline,
                    },
                    line,
                );
                if !approx.is_empty() {
                    note(Construct::Approximation, line);
                }
                literal_poses(target, note);
                if let Some(a) = aux {
                    literal_poses(a, note);
                }
            }
            // $TOOL, $BASE and $LOAD take frames and loads, not poses to move to.
            StmtKind::Assign(target, value) if !matches!(target.root_name(), "$TOOL" | "$BASE" | "$LOAD") => {
                literal_poses(value, note);
            }
            StmtKind::If { then_body, else_body, .. } => {
                walk(then_body, note);
                walk(else_body, note);
            }
            StmtKind::While { body, .. } => {
                note(Construct::WhileLoop, line);
                walk(body, note);
            }
            StmtKind::Repeat { body, .. } => {
                note(Construct::RepeatLoop, line);
                walk(body, note);
            }
            StmtKind::Loop(body) => {
                note(Construct::EndlessLoop, line);
                walk(body, note);
            }
            StmtKind::For { body, .. } => {
                note(Construct::ForLoop, line);
                walk(body, note);
            }
            StmtKind::Spline { segments, .. } => {
                note(Construct::Approximation, line);
                walk(segments, note);
            }
            StmtKind::Switch { cases, default, .. } => {
                note(Construct::Switch, line);
                for (_, b) in cases {
                    walk(b, note);
                }
                if let Some(b) = default {
                    walk(b, note);
                }
            }
            StmtKind::WaitFor(_) => note(Construct::WaitFor, line),
            StmtKind::WaitSec(_) => note(Construct::WaitSec, line),
            StmtKind::Goto(_) => note(Construct::Goto, line),
            StmtKind::Halt => note(Construct::Halt, line),
            StmtKind::InterruptDecl { .. } => note(Construct::Interrupt, line),
            StmtKind::Trigger { .. } => note(Construct::Trigger, line),
            _ => {}
        }
    }
}

/// A pose or axis aggregate (`{X 100, Y 0, Z 500}`, `{A1 0, ...}`) anywhere in `e`.
fn literal_poses(e: &Expr, note: &mut impl FnMut(Construct, u32)) {
    match &e.kind {
        ExprKind::Aggregate { fields, .. } => {
            let pose_field = |f: &str| matches!(f, "X" | "Y" | "Z" | "A1" | "A2" | "A3" | "A4" | "A5" | "A6");
            if fields.iter().any(|(f, _)| pose_field(&f.to_ascii_uppercase())) {
                note(Construct::LiteralPose, e.span.line);
            }
        }
        ExprKind::Binary(_, a, b) => {
            literal_poses(a, note);
            literal_poses(b, note);
        }
        ExprKind::Unary(_, a) | ExprKind::Paren(a) => literal_poses(a, note),
        ExprKind::Call(_, args) => args.iter().for_each(|a| literal_poses(a, note)),
        _ => {}
    }
}

/// Judges a program objective on the parsed program; `file` names it in the explanation.
pub fn judge_program(spec: &ObjectiveSpec, module: &Module, file: &str) -> ObjectiveResult {
    let ObjectiveKind::Program { require, forbid } = &spec.kind else {
        panic!("judge_program takes a program objective");
    };
    let found = constructs(module);
    let line_of = |c: &Construct| found.iter().find(|(x, _)| x == c).map(|(_, l)| *l);
    let mut ok = 0;
    let mut notes = Vec::new();
    for c in require {
        match line_of(c) {
            Some(_) => ok += 1,
            None => notes.push(format!("{} is required, and the program has none", c.describe())),
        }
    }
    for c in forbid {
        match line_of(c) {
            None => ok += 1,
            Some(l) => notes.push(format!("{} is not allowed: {file} line {l}", c.describe())),
        }
    }
    let total = require.len() + forbid.len();
    let fraction = ok as f64 / total.max(1) as f64;
    let explanation = if notes.is_empty() {
        let mut parts = Vec::new();
        if !require.is_empty() {
            let uses: Vec<String> = require.iter().map(|c| format!("{} (line {})", c.describe(), line_of(c).unwrap_or_default())).collect();
            parts.push(format!("uses {}", uses.join(", ")));
        }
        if !forbid.is_empty() {
            parts.push(format!("avoids {}", forbid.iter().map(|c| c.describe()).collect::<Vec<_>>().join(", ")));
        }
        format!("the program {}", parts.join(" and "))
    } else {
        notes.join("; ")
    };
    ObjectiveResult {
        title: spec.title.clone(),
        variant: "program".into(),
        hidden: false,
        points: (spec.points * fraction * 100.0).round() / 100.0,
        max_points: spec.points,
        passed: ok == total,
        gate: spec.gate,
        explanation,
    }
}
