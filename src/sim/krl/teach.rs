//! What the smartPAD writes into a program's files: touch-up (a taught pose into the point's
//! E6POS and the tool and base into its FDAT) and new motions from the inline forms (the fold
//! in the `.src`, the point and motion data in the `.dat`). Text in, text out: the rest of each
//! file keeps its text and its line ends.

use crate::sim::math::Frame;

/// A taught pose: the TCP in the active base with the active tool, its S and T, the axes.
#[derive(Clone, Debug, PartialEq)]
pub struct Pose {
    pub frame: Frame,
    pub s: u8,
    pub t: u8,
    pub axes: [f64; 6],
    pub tool_no: usize,
    pub base_no: usize,
}

/// A touch-up, ready to write: the point, its old and new values and the new `.dat` text.
#[derive(Clone, Debug, PartialEq)]
pub struct TouchUp {
    pub point: String,
    /// The point's type as declared (E6POS, POS, FRAME, E6AXIS, AXIS).
    pub ty: String,
    pub old: String,
    pub new: String,
    /// The point's FDAT (F + the name without its X), when the `.dat` declares one.
    pub fdat: Option<String>,
    /// The tool and base numbers the FDAT had, when they differ from the pendant's: the point
    /// is then written in the pendant's (the pendant asks first).
    pub frames_changed: Option<(i64, i64)>,
    pub dat: String,
}

/// A member of an aggregate's text as a number (`TOOL_NO 1` -> 1).
fn member_int(agg: &str, name: &str) -> Option<i64> {
    split_top(agg.trim().trim_start_matches('{').trim_end_matches('}')).iter().find_map(|p| {
        let mut w = p.split_whitespace();
        (w.next()?.eq_ignore_ascii_case(name)).then(|| w.next()?.parse().ok()).flatten()
    })
}

/// The inline form of a new motion.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum FormKind {
    Ptp,
    Lin,
    Circ,
}

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MotionForm {
    pub kind: FormKind,
    /// Approximated (CONT): C_PTP for PTP, C_DIS for LIN and CIRC.
    pub cont: bool,
    /// Percent for PTP, m/s for LIN and CIRC.
    pub vel: f64,
}

impl MotionForm {
    /// The smartPAD's defaults: PTP 100 %, LIN and CIRC 2 m/s, exact stop.
    pub fn new(kind: FormKind) -> Self {
        MotionForm { kind, cont: false, vel: if kind == FormKind::Ptp { 100.0 } else { 2.0 } }
    }
}

/// A new motion, ready to write.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMotion {
    pub src: String,
    pub dat: String,
    /// The points taught (CIRC: auxiliary first), e.g. `P3`.
    pub points: Vec<String>,
    /// The 1-based line of the fold in the new `.src`.
    pub line: u32,
}

fn eol(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// A REAL as KSS writes it in a data list: short, with at least one decimal.
pub fn real(x: f64) -> String {
    let x = if x.abs() < 5e-7 { 0.0 } else { x };
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0');
    if s.ends_with('.') { format!("{s}0") } else { s.to_string() }
}

/// The aggregate text of `pose` as a value of type `ty`.
pub fn pose_value(ty: &str, pose: &Pose) -> Result<String, String> {
    let f = &pose.frame;
    let cart = format!("X {},Y {},Z {},A {},B {},C {}", real(f.x), real(f.y), real(f.z), real(f.a), real(f.b), real(f.c));
    let axes = (0..6).map(|i| format!("A{} {}", i + 1, real(pose.axes[i]))).collect::<Vec<_>>().join(",");
    let ext = "E1 0.0,E2 0.0,E3 0.0,E4 0.0,E5 0.0,E6 0.0";
    Ok(match ty {
        "E6POS" => format!("{{{cart},S {},T {},{ext}}}", pose.s, pose.t),
        "POS" => format!("{{{cart},S {},T {}}}", pose.s, pose.t),
        "FRAME" => format!("{{{cart}}}"),
        "E6AXIS" => format!("{{{axes},{ext}}}"),
        "AXIS" => format!("{{{axes}}}"),
        other => return Err(format!("a point of type {other} cannot be touched up (E6POS, POS, FRAME, E6AXIS or AXIS)")),
    })
}

/// Where a data list declares `name`: (line index, type, byte range of the value on that line).
fn find_decl(dat: &str, name: &str) -> Option<(usize, String, std::ops::Range<usize>)> {
    for (i, line) in dat.split('\n').enumerate() {
        let code = line.split(';').next().unwrap_or("");
        let Some(eq) = code.find('=') else { continue };
        let words: Vec<&str> = code[..eq].split_whitespace().collect();
        let words: Vec<&str> = words.into_iter().filter(|w| !w.eq_ignore_ascii_case("DECL") && !w.eq_ignore_ascii_case("GLOBAL")).collect();
        if let [ty, n] = words[..]
            && n.eq_ignore_ascii_case(name)
        {
            let end = code.trim_end().len();
            let start = eq + 1 + (code[eq + 1..].len() - code[eq + 1..].trim_start().len());
            return Some((i, ty.to_ascii_uppercase(), start..end.max(start)));
        }
    }
    None
}

/// Replaces the value of `name`'s declaration; the line keeps its comment and line end.
fn replace_value(dat: &str, line: usize, range: std::ops::Range<usize>, value: &str) -> String {
    let mut lines: Vec<String> = dat.split('\n').map(str::to_string).collect();
    lines[line].replace_range(range, value);
    lines.join("\n")
}

/// Sets the members `fields` (name, text) in an aggregate's text, keeping the others.
pub fn set_members(agg: &str, fields: &[(&str, String)]) -> String {
    let inner = agg.trim().trim_start_matches('{').trim_end_matches('}');
    let mut parts: Vec<String> = split_top(inner).into_iter().map(|p| p.trim().to_string()).collect();
    for (name, v) in fields {
        let key = |p: &str| p.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        match parts.iter_mut().find(|p| key(p) == name.to_ascii_uppercase()) {
            Some(p) => *p = format!("{name} {v}"),
            None => parts.push(format!("{name} {v}")),
        }
    }
    format!("{{{}}}", parts.join(","))
}

/// Splits at commas outside strings and nested braces.
fn split_top(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut quoted, mut start) = (Vec::new(), 0, false, 0);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '{' if !quoted => depth += 1,
            '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !s[start..].trim().is_empty() {
        out.push(&s[start..]);
    }
    out
}

/// The motion statement at 1-based `line`, or inside the fold that starts there: its line
/// index, keyword and the names of its points.
fn motion_at(src: &str, line: u32) -> Result<(usize, String, Vec<String>), String> {
    let lines: Vec<&str> = src.split('\n').collect();
    let i = (line as usize).checked_sub(1).filter(|i| *i < lines.len()).ok_or(format!("line {line} is not in the program"))?;
    let parse = |l: &str| -> Option<(String, Vec<String>)> {
        let code = l.split(';').next().unwrap_or("").trim();
        let (kw, rest) = code.split_once(char::is_whitespace)?;
        let kw = kw.to_ascii_uppercase();
        if !matches!(kw.as_str(), "PTP" | "LIN" | "CIRC" | "SPTP" | "SLIN" | "SCIRC" | "SPL") {
            return None;
        }
        let points = rest.split(',').map(|p| p.split_whitespace().next().unwrap_or("").to_string()).collect();
        Some((kw, points))
    };
    let fold = lines[i].trim_start().to_ascii_uppercase().starts_with(";FOLD");
    let range = if fold {
        let end = (i + 1..lines.len()).find(|&k| lines[k].trim_start().to_ascii_uppercase().starts_with(";ENDFOLD")).unwrap_or(lines.len());
        i + 1..end
    } else {
        i..i + 1
    };
    for k in range {
        if let Some((kw, points)) = parse(lines[k]) {
            return Ok((k, kw, points));
        }
    }
    Err(format!("line {line} holds no motion: select a PTP, LIN or CIRC line (or its fold)"))
}

/// The keyword of the motion at 1-based `line` or inside the fold that starts there (`PTP`,
/// `LIN`, `CIRC`, ...), None when there is none.
pub fn motion_keyword(src: &str, line: u32) -> Option<String> {
    motion_at(src, line).ok().map(|(_, kw, _)| kw)
}

fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_' || f == '$') && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The `.dat` after touching up the point of the motion at `line` (CIRC: the auxiliary point
/// with `aux`, else the end point) with `pose`.
pub fn touch_up(src: &str, dat: &str, line: u32, aux: bool, pose: &Pose) -> Result<TouchUp, String> {
    let (_, kw, points) = motion_at(src, line)?;
    let point = match (kw.as_str(), aux) {
        ("CIRC" | "SCIRC", true) => points.first(),
        (_, true) => return Err(format!("a {kw} has no auxiliary point")),
        _ => points.last(),
    }
    .cloned()
    .unwrap_or_default();
    if !is_name(&point) {
        return Err(format!("this {kw} gives its point in the line: only a point declared in the .dat can be touched up"));
    }
    let (l, ty, range) =
        find_decl(dat, &point).ok_or(format!("{point} is not declared in the .dat: touch-up writes points of the program's data list"))?;
    let old = dat.split('\n').nth(l).map(|s| s[range.clone()].to_string()).unwrap_or_default();
    let new = pose_value(&ty, pose)?;
    let mut out = replace_value(dat, l, range, &new);
    // The FDAT of a point XP1 is FP1.
    let fname = format!("F{}", point.strip_prefix(['X', 'x']).unwrap_or(&point));
    let mut fdat = None;
    let mut frames_changed = None;
    if let Some((fl, fty, frange)) = find_decl(&out, &fname)
        && fty == "FDAT"
    {
        let old_f = out.split('\n').nth(fl).map(|s| s[frange.clone()].to_string()).unwrap_or_default();
        if let (Some(t), Some(b)) = (member_int(&old_f, "TOOL_NO"), member_int(&old_f, "BASE_NO"))
            && (t, b) != (pose.tool_no as i64, pose.base_no as i64)
        {
            frames_changed = Some((t, b));
        }
        let v = set_members(&old_f, &[("TOOL_NO", pose.tool_no.to_string()), ("BASE_NO", pose.base_no.to_string())]);
        out = replace_value(&out, fl, frange, &v);
        fdat = Some(fname);
    }
    Ok(TouchUp { point: point.to_ascii_uppercase(), ty, old, new, fdat, frames_changed, dat: out })
}

/// The highest number `n` among the names `prefix` + n in `text` (whole words), 0 when none.
fn highest(text: &str, prefix: &str) -> u32 {
    let up = text.to_ascii_uppercase();
    let bytes = up.as_bytes();
    let mut best = 0;
    let mut from = 0;
    while let Some(k) = up[from..].find(prefix) {
        let at = from + k;
        from = at + prefix.len();
        let before_ok = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        let digits: String = up[from..].chars().take_while(char::is_ascii_digit).collect();
        let after = up[from + digits.len()..].chars().next();
        if before_ok && !digits.is_empty() && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            best = best.max(digits.parse().unwrap_or(0));
        }
    }
    best
}

/// The number in a LAST_BASIS member such as `POINT1[] "P7"`.
fn last_basis(dat: &str, member: &str, prefix: &str) -> u32 {
    let Some((l, _, range)) = find_decl(dat, "LAST_BASIS") else { return 0 };
    let agg = &dat.split('\n').nth(l).unwrap_or("")[range];
    split_top(agg.trim_start_matches('{').trim_end_matches('}'))
        .iter()
        .find(|p| p.trim().to_ascii_uppercase().starts_with(member))
        .and_then(|p| p.split('"').nth(1))
        .and_then(|v| v.trim().to_ascii_uppercase().strip_prefix(prefix).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

fn vel_text(v: f64) -> String {
    let s = real(v);
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// The index of the line that closes the fold opened at index `i` (folds nest), or the last line.
pub fn fold_end(lines: &[&str], i: usize) -> usize {
    let mut depth = 0;
    for (k, l) in lines.iter().enumerate().skip(i) {
        let t = l.trim_start().to_ascii_uppercase();
        if t.starts_with(";FOLD") {
            depth += 1;
        } else if t.starts_with(";ENDFOLD") {
            depth -= 1;
            if depth == 0 {
                return k;
            }
        }
    }
    lines.len().saturating_sub(1)
}

/// Inserts the inline form `form` below 1-based `after` (below the whole fold when `after`
/// opens one), with its points at `pose`, into `src` and its data list `dat`.
pub fn new_motion(src: &str, dat: &str, after: u32, form: &MotionForm, pose: &Pose) -> Result<NewMotion, String> {
    let nl = eol(src);
    let lines: Vec<&str> = src.split('\n').collect();
    let mut at = (after as usize).checked_sub(1).filter(|i| *i < lines.len()).ok_or(format!("line {after} is not in the program"))?;
    // Inside a routine: from its DEF line up to (not after) its END.
    let word = |l: &str| l.split(';').next().unwrap_or("").split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    let def = (0..=at).rev().find(|&k| matches!(word(lines[k]).as_str(), "DEF" | "GLOBAL" | "DEFFCT"));
    let end = (0..=at).rev().find(|&k| matches!(word(lines[k]).as_str(), "END" | "ENDFCT"));
    if def.is_none() || end.is_some_and(|e| e >= def.unwrap_or(0)) {
        return Err(format!("line {after} is outside a routine: select a line between DEF and END"));
    }
    if lines[at].trim_start().to_ascii_uppercase().starts_with(";FOLD") {
        at = fold_end(&lines, at);
    }
    let both = format!("{src}\n{dat}");
    let n = highest(&both, "XP").max(highest(&both, "P")).max(last_basis(dat, "POINT1", "P")) + 1;
    let (ptp, circ) = (form.kind == FormKind::Ptp, form.kind == FormKind::Circ);
    let (data_prefix, shown) = if ptp { ("PPDAT", "PDAT") } else { ("LCPDAT", "CPDAT") };
    let m = highest(dat, data_prefix).max(last_basis(dat, if ptp { "PTP_PARAMS" } else { "CP_PARAMS" }, shown)) + 1;
    let points: Vec<String> = if circ { vec![format!("P{n}"), format!("P{}", n + 1)] } else { vec![format!("P{n}")] };
    let target = points.last().cloned().unwrap_or_default();
    let kw = match form.kind {
        FormKind::Ptp => "PTP",
        FormKind::Lin => "LIN",
        FormKind::Circ => "CIRC",
    };
    let vel = vel_text(form.vel);
    let shown_vel = if ptp { format!("Vel={vel} %") } else { format!("Vel={vel} m/s") };
    let cont_word = if form.cont { " CONT" } else { "" };
    let approx = match (form.cont, ptp) {
        (false, _) => "",
        (true, true) => "C_PTP",
        (true, false) => "C_DIS",
    };
    let tool_base = format!("Tool[{}] Base[{}]", pose.tool_no, pose.base_no);
    let data = format!("{shown}{m}");
    let header_params = if circ {
        let c = if form.cont { "C_DIS C_DIS" } else { "" };
        format!("%P 1:CIRC, 2:{}, 3:{}, 4:{c}, 6:{vel}, 8:{data}", points[0], points[1])
    } else {
        format!("%P 1:{kw}, 2:{target}, 3:{approx}, 5:{vel}, 7:{data}")
    };
    let fold = format!(
        ";FOLD {kw} {}{cont_word} {shown_vel} {data} {tool_base};%{{PE}}%R 8.3.44,%MKUKATPBASIS,%CMOVE,%V{kw},{header_params}",
        points.join(" ")
    );
    let act = if ptp { format!("PDAT_ACT=PPDAT{m}") } else { format!("LDAT_ACT=LCPDAT{m}") };
    let bas = if ptp { format!("BAS(#PTP_PARAMS,{vel})") } else { format!("BAS(#CP_PARAMS,{vel})") };
    let motion = match (circ, form.cont) {
        (true, true) => format!("CIRC X{}, X{} C_DIS C_DIS", points[0], points[1]),
        (true, false) => format!("CIRC X{}, X{}", points[0], points[1]),
        (false, _) => format!("{kw} X{target}{}", if approx.is_empty() { String::new() } else { format!(" {approx}") }),
    };
    let indent: String = lines[at].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let block: Vec<String> = [fold, "$BWDSTART=FALSE".into(), act, format!("FDAT_ACT=F{target}"), bas, motion, ";ENDFOLD".into()]
        .into_iter()
        .map(|l| format!("{indent}{l}"))
        .collect();
    let mut out: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    let crlf = nl == "\r\n";
    let block_text: Vec<String> = block.into_iter().map(|l| if crlf { format!("{l}\r") } else { l }).collect();
    let line = at as u32 + 2;
    out.splice(at + 1..at + 1, block_text);
    let new_src = out.join("\n");

    // The data list: the points, the FDAT of the target, the motion data, before ENDDAT.
    let dnl = eol(dat);
    let mut entries = Vec::new();
    for p in &points {
        entries.push(format!("DECL E6POS X{p}={}", pose_value("E6POS", pose)?));
    }
    entries.push(format!(
        "DECL FDAT F{target}={{TOOL_NO {},BASE_NO {},IPO_FRAME #BASE,POINT2[] \" \",TQ_STATE FALSE}}",
        pose.tool_no, pose.base_no
    ));
    entries.push(if ptp {
        format!("DECL PDAT PPDAT{m}={{VEL {},ACC 100.0,APO_DIST 100.0,APO_MODE #CDIS,GEAR_JERK 50.0,EXAX_IGN 0}}", real(form.vel))
    } else {
        format!(
            "DECL LDAT LCPDAT{m}={{VEL {},ACC 100.0,APO_DIST 100.0,APO_FAC 50.0,AXIS_VEL 100.0,AXIS_ACC 100.0,ORI_TYP #VAR,CIRC_TYP #BASE,JERK_FAC 50.0,GEAR_JERK 50.0,EXAX_IGN 0}}",
            real(form.vel)
        )
    });
    let dlines: Vec<&str> = dat.split('\n').collect();
    let enddat = dlines
        .iter()
        .rposition(|l| l.trim().to_ascii_uppercase().starts_with("ENDDAT"))
        .ok_or("the .dat has no ENDDAT: fix it before teaching points")?;
    let mut dout: Vec<String> = dlines.iter().map(|s| s.to_string()).collect();
    let dcrlf = dnl == "\r\n";
    dout.splice(enddat..enddat, entries.into_iter().map(|l| if dcrlf { format!("{l}\r") } else { l }));
    let mut new_dat = dout.join("\n");
    // LAST_BASIS remembers the last names and values, as on the controller.
    if let Some((l, _, range)) = find_decl(&new_dat, "LAST_BASIS") {
        let old = new_dat.split('\n').nth(l).map(|s| s[range.clone()].to_string()).unwrap_or_default();
        let q = |s: &str| format!("\"{s}\"");
        let mut fields = vec![("POINT1[]", q(&target)), ("POINT2[]", q(&target)), ("CONT[]", q(if form.cont { "CONT" } else { " " }))];
        if ptp {
            fields.push(("PTP_PARAMS[]", q(&data)));
            fields.push(("PTP_VEL[]", q(&vel)));
        } else {
            fields.push(("CP_PARAMS[]", q(&data)));
            fields.push(("CP_VEL[]", q(&vel)));
        }
        let v = set_members(&old, &fields);
        new_dat = replace_value(&new_dat, l, range, &v);
    }
    Ok(NewMotion { src: new_src, dat: new_dat, points, line })
}

/// A data list for a module that has none yet.
pub fn empty_dat(module: &str, crlf: bool) -> String {
    let nl = if crlf { "\r\n" } else { "\n" };
    format!("DEFDAT {module}{nl}ENDDAT{nl}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pose() -> Pose {
        Pose {
            frame: Frame::new(500.0, -20.5, 600.25, 0.0, 90.0, 0.0),
            s: 2,
            t: 10,
            axes: [0.0, -90.0, 90.0, 0.0, 0.0, 0.0],
            tool_no: 1,
            base_no: 0,
        }
    }

    #[test]
    fn reals_are_written_short_with_one_decimal_at_least() {
        assert_eq!(
            (real(525.0), real(-20.5), real(0.1234567), real(-1e-9)),
            ("525.0".into(), "-20.5".into(), "0.123457".into(), "0.0".into())
        );
    }

    #[test]
    fn touch_up_rewrites_only_the_point_and_its_fdat() {
        let src = "DEF t( )\r\n;FOLD PTP P1 Vel=100 % PDAT1 Tool[1] Base[0]\r\nPTP XP1\r\n;ENDFOLD\r\nEND\r\n";
        let dat = "DEFDAT t\r\n; K\u{fc}hler\r\nDECL E6POS XP1={X 1.0,Y 2.0,Z 3.0,A 0.0,B 0.0,C 0.0,S 6,T 2,E1 0.0,E2 0.0,E3 0.0,E4 0.0,E5 0.0,E6 0.0} ; old\r\nDECL FDAT FP1={TOOL_NO 3,BASE_NO 2,IPO_FRAME #BASE,POINT2[] \" \",TQ_STATE FALSE}\r\nENDDAT\r\n";
        let t = touch_up(src, dat, 2, false, &pose()).unwrap();
        assert_eq!(t.point, "XP1");
        // FP1 had tool 3 and base 2; the pendant has tool 1 and base 0.
        assert_eq!(t.frames_changed, Some((3, 2)));
        assert!(t.old.starts_with("{X 1.0,Y 2.0"));
        let expected = "DEFDAT t\r\n; K\u{fc}hler\r\nDECL E6POS XP1={X 500.0,Y -20.5,Z 600.25,A 0.0,B 90.0,C 0.0,S 2,T 10,E1 0.0,E2 0.0,E3 0.0,E4 0.0,E5 0.0,E6 0.0} ; old\r\nDECL FDAT FP1={TOOL_NO 1,BASE_NO 0,IPO_FRAME #BASE,POINT2[] \" \",TQ_STATE FALSE}\r\nENDDAT\r\n";
        assert_eq!(t.dat, expected);
    }

    #[test]
    fn touch_up_refuses_what_it_cannot_write() {
        let src = "DEF t( )\nPTP {A1 0}\nLIN XP9\nWAIT SEC 1\nEND\n";
        let dat = "DEFDAT t\nENDDAT\n";
        assert!(touch_up(src, dat, 2, false, &pose()).unwrap_err().contains("in the line"));
        assert!(touch_up(src, dat, 3, false, &pose()).unwrap_err().contains("XP9 is not declared"));
        assert!(touch_up(src, dat, 4, false, &pose()).unwrap_err().contains("no motion"));
        assert!(touch_up(src, dat, 3, true, &pose()).unwrap_err().contains("no auxiliary"));
    }

    #[test]
    fn new_names_follow_the_highest_in_use_and_last_basis() {
        let src = "DEF t( )\nPTP XP2\nEND\n";
        let dat = "DEFDAT t\nDECL BASIS_SUGG_T LAST_BASIS={POINT1[] \"P7\",POINT2[] \"P7\",CP_PARAMS[] \"CPDAT0\",PTP_PARAMS[] \"PDAT8\",CONT[] \" \",CP_VEL[] \"2.0\",PTP_VEL[] \"30\"}\nENDDAT\n";
        let m = new_motion(src, dat, 2, &MotionForm::new(FormKind::Ptp), &pose()).unwrap();
        assert_eq!(m.points, vec!["P8".to_string()]);
        assert!(m.src.contains(";FOLD PTP P8 Vel=100 % PDAT9 Tool[1] Base[0];%{PE}"), "{}", m.src);
        assert!(m.src.contains("PDAT_ACT=PPDAT9\nFDAT_ACT=FP8\nBAS(#PTP_PARAMS,100)\nPTP XP8\n;ENDFOLD\nEND"), "{}", m.src);
        assert!(m.dat.contains("LAST_BASIS={POINT1[] \"P8\",POINT2[] \"P8\",CP_PARAMS[] \"CPDAT0\",PTP_PARAMS[] \"PDAT9\""), "{}", m.dat);
        assert_eq!(m.line, 3);
    }
}
