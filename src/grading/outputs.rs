//! What `robocell grade` writes: a table for the terminal, JSON, CSV, JUnit XML, Gradescope's
//! results.json and a Markdown feedback file per student. Formats: `../shared/reference/grading.md`.

use serde_json::{Value, json};

use super::{ClassResult, StudentResult};
use crate::sim::exercise::ObjectiveResult;

/// Objective titles in the scenario's order, each once.
fn titles(c: &ClassResult) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in &c.students {
        for o in &s.grade.objectives {
            if !out.contains(&o.title) {
                out.push(o.title.clone());
            }
        }
    }
    out
}

/// A student's points for one objective over all runs.
fn points_of(s: &StudentResult, title: &str) -> f64 {
    s.grade.totals(title).0
}

fn num(x: f64) -> Value {
    serde_json::Number::from_f64((x * 100.0).round() / 100.0).map(Value::Number).unwrap_or(Value::Null)
}

/// The score a student gets: zero when a gate failed.
fn score(s: &StudentResult) -> f64 {
    s.grade.score
}

/// An error in one line: "the program has 2 error(s) and was not run: x.src:3:1: error[..]: ..".
pub fn error_line(e: &str) -> String {
    let mut lines = e.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("").to_string();
    match lines.next() {
        Some(second) if first.ends_with(':') => format!("{first} {second}"),
        _ => first,
    }
}

/// What failed, in a few words, for the table: `O1 x4` is objective 1 failed in 4 runs.
fn failed_summary(s: &StudentResult, titles: &[String]) -> String {
    if let Some(e) = &s.error
        && s.grade.objectives.iter().all(|o| o.explanation.starts_with("not graded"))
    {
        return error_line(e);
    }
    let mut out: Vec<String> = Vec::new();
    if let Some(g) = &s.grade.gate_failed {
        out.push(format!("gate failed: {g}"));
    }
    for (i, t) in titles.iter().enumerate() {
        let n = s.grade.objectives.iter().filter(|o| &o.title == t && !o.passed).count();
        if n > 0 {
            out.push(format!("O{} x{n}", i + 1));
        }
    }
    out.join(", ")
}

/// The class as a table: student, score, points per objective, cycle time, what failed.
pub fn table(c: &ClassResult) -> String {
    let titles = titles(c);
    let w = c.students.iter().map(|s| s.name.chars().count()).max().unwrap_or(7).max(7);
    let mut out = String::new();
    for (i, t) in titles.iter().enumerate() {
        out += &format!("O{}: {t}\n", i + 1);
    }
    out += &format!("{:<w$}  {:>13}", "student", "score");
    for i in 0..titles.len() {
        out += &format!("  {:>6}", format!("O{}", i + 1));
    }
    out += "   cycle  failed\n";
    for s in &c.students {
        let sc = format!("{}/{}", fmt(score(s)), fmt(s.grade.max_score));
        out += &format!("{:<w$}  {sc:>13}", s.name);
        for t in &titles {
            out += &format!("  {:>6}", fmt(points_of(s, t)));
        }
        let cycle = s.grade.cycle_time_s.map(|t| format!("{t:.1} s")).unwrap_or_else(|| "-".into());
        out += &format!("  {cycle:>6}  {}\n", failed_summary(s, &titles));
    }
    out
}

/// 12, 12.5 or 12.33 (never -0).
pub fn fmt(p: f64) -> String {
    let s = format!("{:.2}", p + 0.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `{"scenario", "students": [{"name", "score", "max_score", "cycle_time_s", "error", "objectives": [...]}]}`.
pub fn json(c: &ClassResult) -> String {
    let students: Vec<Value> = c
        .students
        .iter()
        .map(|s| {
            let objectives: Vec<Value> = s
                .grade
                .objectives
                .iter()
                .map(|o| {
                    json!({
                        "title": o.title, "variant": o.variant, "hidden": o.hidden, "points": num(o.points),
                        "max_points": num(o.max_points), "passed": o.passed, "explanation": o.explanation,
                    })
                })
                .collect();
            json!({
                "name": s.name, "score": num(score(s)), "max_score": num(s.grade.max_score),
                "cycle_time_s": s.grade.cycle_time_s.map(num), "error": s.error, "objectives": objectives,
            })
        })
        .collect();
    let v = json!({ "scenario": c.scenario, "students": students });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// A header and one row per student: name, score, max_score, cycle time, error, then the points
/// of each objective (over all runs).
pub fn csv(c: &ClassResult) -> String {
    let titles = titles(c);
    let mut head = vec!["name".to_string(), "score".into(), "max_score".into(), "cycle_time_s".into(), "error".into()];
    head.extend(titles.iter().cloned());
    let mut out = head.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(",") + "\n";
    for s in &c.students {
        let mut row = vec![
            s.name.clone(),
            fmt(score(s)),
            fmt(s.grade.max_score),
            s.grade.cycle_time_s.map(|t| format!("{t:.2}")).unwrap_or_default(),
            s.error.as_deref().map(error_line).unwrap_or_default(),
        ];
        row.extend(titles.iter().map(|t| fmt(points_of(s, t))));
        out += &(row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",") + "\n");
    }
    out
}

/// Text safe in XML: escaped, and without control characters (which make tools drop a report).
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&apos;",
            '\n' | '\t' => out.push(ch),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC, no zone) of seconds since 1970.
pub fn timestamp(unix_s: u64) -> String {
    let (days, secs) = (unix_s / 86_400, unix_s % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

fn testcase_name(o: &ObjectiveResult) -> String {
    format!("{} [{}]", o.title, o.variant)
}

/// JUnit XML: one `testsuite` per student, one `testcase` per objective and run.
pub fn junit(c: &ClassResult, unix_s: u64, hostname: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests: usize = c.students.iter().map(|s| s.grade.objectives.len().max(1)).sum();
    let failures: usize = c.students.iter().map(|s| s.grade.objectives.iter().filter(|o| !o.passed).count()).sum();
    out += &format!(
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{:.3}\">\n",
        xml(&c.scenario),
        c.wall_s
    );
    let per_case = c.wall_s / tests.max(1) as f64;
    for (id, s) in c.students.iter().enumerate() {
        let not_run = s.error.is_some() && s.grade.objectives.iter().all(|o| o.explanation.starts_with("not graded"));
        let fails = s.grade.objectives.iter().filter(|o| !o.passed).count();
        let (f, e) = if not_run { (0, s.grade.objectives.len().max(1)) } else { (fails, 0) };
        out += &format!(
            "  <testsuite name=\"{}\" package=\"{}\" id=\"{id}\" tests=\"{}\" failures=\"{f}\" errors=\"{e}\" skipped=\"0\" time=\"{:.3}\" timestamp=\"{}\" hostname=\"{}\">\n",
            xml(&s.name),
            xml(&c.scenario),
            s.grade.objectives.len().max(1),
            per_case * s.grade.objectives.len().max(1) as f64,
            timestamp(unix_s),
            xml(hostname)
        );
        if s.grade.objectives.is_empty() {
            // A report with no testcase is dropped by some tools.
            out += &format!("    <testcase name=\"grading\" classname=\"{}\" time=\"0.000\">\n", xml(&s.name));
            out += &format!("      <error message=\"{}\" type=\"not graded\"/>\n    </testcase>\n", xml(s.error.as_deref().unwrap_or("")));
        }
        for o in &s.grade.objectives {
            out += &format!("    <testcase name=\"{}\" classname=\"{}\" time=\"{per_case:.3}\">\n", xml(&testcase_name(o)), xml(&s.name));
            let points = format!("{} of {} points", fmt(o.points), fmt(o.max_points));
            if not_run {
                let msg = s.error.as_deref().unwrap_or("");
                out += &format!(
                    "      <error message=\"{}\" type=\"not graded\">{}</error>\n",
                    xml(msg.lines().next().unwrap_or("")),
                    xml(msg)
                );
            } else if !o.passed {
                out += &format!("      <failure message=\"{}\" type=\"objective\">{}</failure>\n", xml(&points), xml(&o.explanation));
            }
            out += &format!("      <system-out>{}: {}</system-out>\n    </testcase>\n", xml(&points), xml(&o.explanation));
        }
        out += "  </testsuite>\n";
    }
    out += "</testsuites>\n";
    out
}

/// Gradescope's results.json for one student: the tests per objective and run (hidden variants
/// visible after publishing), the score, and a leaderboard entry for the cycle time.
pub fn gradescope(s: &StudentResult, time_limit_s: f64, execution_s: f64) -> String {
    let tests: Vec<Value> = s
        .grade
        .objectives
        .iter()
        .enumerate()
        .map(|(i, o)| {
            json!({
                "name": testcase_name(o), "number": format!("{}", i + 1), "score": num(o.points), "max_score": num(o.max_points),
                "status": if o.passed { "passed" } else { "failed" }, "output": o.explanation, "output_format": "text",
                "tags": [o.variant], "visibility": if o.hidden { "after_published" } else { "visible" },
            })
        })
        .collect();
    let mut output = match &s.error {
        Some(e) => format!("{e}\n\n"),
        None => String::new(),
    };
    output += &format!("Score: {} of {}", fmt(score(s)), fmt(s.grade.max_score));
    if let Some(g) = &s.grade.gate_failed {
        output += &format!(" (the objective `{g}` must pass for any points)");
    }
    output += "\n";
    for (title, hint) in &s.grade.hints {
        output += &format!("Hint for `{title}`: {hint}\n");
    }
    // The leaderboard needs a value: a program that did not end ranks at the time limit.
    let cycle = s.grade.cycle_time_s.unwrap_or(time_limit_s);
    let v = json!({
        "score": num(score(s)), "execution_time": num(execution_s), "output": output, "output_format": "text",
        "visibility": "visible", "stdout_visibility": "hidden", "tests": tests,
        "leaderboard": [{ "name": "Cycle time (s)", "value": num(cycle), "order": "asc" }],
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// A student's feedback in Markdown: the score and every explanation.
pub fn feedback(s: &StudentResult, scenario: &str) -> String {
    let mut out = format!("# {scenario}: feedback for {}\n\n", s.name);
    out += &format!("**Score: {} of {}**", fmt(score(s)), fmt(s.grade.max_score));
    if let Some(t) = s.grade.cycle_time_s {
        out += &format!(" · cycle time {t:.1} s");
    }
    out += "\n\n";
    if let Some(g) = &s.grade.gate_failed {
        out += &format!("The objective *{g}* failed, and it must pass for any points.\n\n");
    }
    if let Some(e) = &s.error {
        out += &format!("```text\n{}\n```\n\n", e.trim_end());
    }
    let not_run = s.grade.objectives.iter().all(|o| o.explanation.starts_with("not graded"));
    let mut last = "";
    for o in &s.grade.objectives {
        if o.title != last {
            let (p, m) = s.grade.totals(&o.title);
            last = &o.title;
            if not_run {
                out += &format!("- {}: {} of {} points\n", o.title, fmt(p), fmt(m));
                continue;
            }
            let gap = if out.ends_with("\n\n") { "" } else { "\n" };
            out += &format!("{gap}## {} ({} of {} points)\n\n", o.title, fmt(p), fmt(m));
        }
        if not_run {
            continue;
        }
        let mark = if o.passed { "passed" } else { "not yet" };
        let variant = if o.hidden { format!("{} (hidden run)", o.variant) } else { o.variant.clone() };
        out += &format!("- **{variant}**, {mark}: {}\n", o.explanation);
    }
    if !s.grade.hints.is_empty() && !not_run {
        out += "\n## Hints\n\n";
        for (title, hint) in &s.grade.hints {
            out += &format!("- *{title}*: {hint}\n");
        }
    }
    let shown: Vec<_> = s.recordings.iter().filter(|(_, hidden, _)| !hidden).collect();
    if !shown.is_empty() {
        out += "\n## Recordings\n\nWatch a run again, step by step, exactly as it was graded (a run that lost points opens\nwhere it went wrong):\n\n";
        for (run, _, file) in shown {
            let failed = s.grade.objectives.iter().any(|o| o.variant == *run && !o.passed);
            let at = if failed { " --at failure" } else { "" };
            out += &format!("- {run}: `robocell replay {}{at}`\n", file.display());
        }
    }
    out
}

/// A file name from a student's name: letters, digits, `-`, `_` and `.` kept.
pub fn file_stem(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() { "student".into() } else { s }
}
