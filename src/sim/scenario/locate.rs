//! Where a semantic error of a scenario points: the line and column of the field it is about,
//! found by its path in the RON text (`spawners[1].interval_s`) or after its item's name.

use std::collections::HashMap;

/// A needle for [`line_of`] that finds the value at `path` (fields and map entries by name,
/// list items by index from 0): `path("spawners[1].interval_s")`, `path("bins.red cube")`.
pub fn path(p: &str) -> String {
    format!("@{p}")
}

/// A needle for [`line_of`] that finds `field` inside the item named `item` (the one declared
/// with `name: "item"`), e.g. a conveyor's `width_mm`.
pub fn field_of(item: &str, field: &str) -> String {
    format!("{item}\0{field}")
}

/// Where a semantic error points (1-based line and column): for a [`path`] needle, the value
/// there (or its nearest written parent: a field left at its default points at its item); for
/// a [`field_of`] needle, the field after its item's `name: "item"` (the item itself when the
/// field is not written); else the first occurrence of `needle` outside comments.
pub fn line_of(src: &str, needle: &str) -> (usize, usize) {
    let code = code_only(src);
    if let Some(p) = needle.strip_prefix('@') {
        let index = paths(&code);
        let mut p = p.to_string();
        loop {
            if let Some(at) = index.get(&p) {
                return *at;
            }
            match p.rfind(['.', '[']) {
                Some(cut) => p.truncate(cut),
                None => return (1, 1),
            }
        }
    }
    let at = match needle.split_once('\0') {
        Some((item, field)) => {
            let decl = declaration(&code, item);
            decl.and_then(|d| code[d..].find(field).map(|f| d + f)).or(decl)
        }
        None => code.find(needle),
    };
    let Some(at) = at else { return (1, 1) };
    let line = code[..at].matches('\n').count() + 1;
    let col = at - code[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
    (line, col)
}

/// `src` with every `//` comment blanked out (same length, so positions stay).
fn code_only(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    for line in src.split_inclusive('\n') {
        let mut in_string = false;
        let mut cut = line.len();
        let b = line.as_bytes();
        for i in 0..b.len() {
            match b[i] {
                b'"' if i == 0 || b[i - 1] != b'\\' => in_string = !in_string,
                b'/' if !in_string && b.get(i + 1) == Some(&b'/') => {
                    cut = i;
                    break;
                }
                _ => {}
            }
        }
        out.push_str(&line[..cut]);
        out.extend(line[cut..].chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
    }
    out
}

/// The position of `name: "item"` or `title: "item"` (any spacing), else of `"item"`, else of
/// `item` itself (an anchor such as `plant:`).
fn declaration(code: &str, item: &str) -> Option<usize> {
    let quoted = format!("\"{item}\"");
    let mut from = 0;
    while let Some(q) = code[from..].find(&quoted).map(|q| from + q) {
        let before = code[..q].trim_end();
        if let Some(key) = before.strip_suffix(':').map(str::trim_end)
            && (key.ends_with("name") || key.ends_with("title"))
        {
            return Some(key.len() - if key.ends_with("name") { 4 } else { 5 });
        }
        from = q + quoted.len();
    }
    code.find(&quoted).or_else(|| code.find(item))
}

/// Every value's path in a RON text (comments blanked) and its 1-based line and column: the
/// field's name for a field, the item's first character for a list item or a map entry.
fn paths(code: &str) -> HashMap<String, (usize, usize)> {
    enum Level {
        /// A struct or tuple: the field being read.
        Fields(Option<String>),
        /// A list: the index of the item being read.
        Items(usize, bool),
        /// A map: the key being read.
        Entries(Option<String>),
    }
    let prefix = |stack: &[Level]| {
        let mut out = String::new();
        for l in stack {
            match l {
                Level::Fields(Some(f)) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(f);
                }
                Level::Items(i, _) => out.push_str(&format!("[{i}]")),
                Level::Entries(Some(k)) => {
                    out.push('.');
                    out.push_str(k);
                }
                _ => {}
            }
        }
        out
    };
    let mut out = HashMap::new();
    let mut stack: Vec<Level> = Vec::new();
    let (mut line, mut col) = (1, 1);
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    // Marks the start of a list item at the first token after `[` or `,`.
    let item_start = |stack: &mut Vec<Level>, out: &mut HashMap<String, (usize, usize)>, at: (usize, usize)| {
        if let Some(Level::Items(_, started @ false)) = stack.last_mut() {
            *started = true;
            out.entry(prefix(stack)).or_insert(at);
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let at = (line, col);
        let step = |n: usize, line: &mut usize, col: &mut usize| {
            for k in 0..n {
                if chars.get(i + k) == Some(&'\n') {
                    *line += 1;
                    *col = 1;
                } else {
                    *col += 1;
                }
            }
        };
        if c.is_whitespace() {
            step(1, &mut line, &mut col);
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let end =
                (i + 2..chars.len().saturating_sub(1)).find(|&k| chars[k] == '*' && chars[k + 1] == '/').map_or(chars.len(), |k| k + 2);
            step(end - i, &mut line, &mut col);
            i = end;
            continue;
        }
        match c {
            '(' | '[' | '{' => {
                item_start(&mut stack, &mut out, at);
                stack.push(match c {
                    '(' => Level::Fields(None),
                    '[' => Level::Items(0, false),
                    _ => Level::Entries(None),
                });
                step(1, &mut line, &mut col);
                i += 1;
            }
            ')' | ']' | '}' => {
                stack.pop();
                step(1, &mut line, &mut col);
                i += 1;
            }
            ',' => {
                match stack.last_mut() {
                    Some(Level::Fields(f)) | Some(Level::Entries(f)) => *f = None,
                    Some(Level::Items(n, started)) if *started => {
                        *n += 1;
                        *started = false;
                    }
                    _ => {}
                }
                step(1, &mut line, &mut col);
                i += 1;
            }
            '"' => {
                item_start(&mut stack, &mut out, at);
                let mut k = i + 1;
                while k < chars.len() && chars[k] != '"' {
                    k += if chars[k] == '\\' { 2 } else { 1 };
                }
                let text: String = chars[i + 1..k.min(chars.len())].iter().collect();
                let end = (k + 1).min(chars.len());
                step(end - i, &mut line, &mut col);
                i = end;
                // A map's key: `"infeed": 150`.
                let colon = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&':');
                if let (true, Some(Level::Entries(key @ None))) = (colon, stack.last_mut()) {
                    *key = Some(text);
                    out.insert(prefix(&stack), at);
                }
            }
            c if c.is_alphanumeric() || c == '_' => {
                item_start(&mut stack, &mut out, at);
                let end = (i..chars.len()).find(|&k| !(chars[k].is_alphanumeric() || "_.+-".contains(chars[k]))).unwrap_or(chars.len());
                let word: String = chars[i..end].iter().collect();
                step(end - i, &mut line, &mut col);
                i = end;
                // A field's name: `interval_s: 5.0` (not a variant's name: `Some(...)`).
                let colon = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&':');
                if let (true, Some(Level::Fields(field @ None))) = (colon, stack.last_mut()) {
                    *field = Some(word);
                    out.insert(prefix(&stack), at);
                }
            }
            _ => {
                item_start(&mut stack, &mut out, at);
                step(1, &mut line, &mut col);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RON: &str = "// a cell\n(\n    name: \"cell\",\n    spawners: [\n        (conveyor: \"a\", interval_s: 5.0),\n        (\n            conveyor: \"b\", // the second\n            interval_s: -1,\n            parts: One((name: \"cube\", size_mm: (50, 50, 50))),\n        ),\n    ],\n    variants: [(name: \"v\", conveyor_speed: {\"a\": 150, \"b\": -2})],\n)\n";

    #[test]
    fn a_path_points_at_its_field_in_the_right_item() {
        // Counted by hand in RON above: line 8 is `            interval_s: -1,`.
        assert_eq!(line_of(RON, &path("spawners[1].interval_s")), (8, 13));
        assert_eq!(line_of(RON, &path("spawners[0].interval_s")), (5, 25));
        assert_eq!(line_of(RON, &path("spawners[1].parts.size_mm")), (9, 39));
        assert_eq!(line_of(RON, &path("variants[0].conveyor_speed.b")), (12, 55));
        // Not written: its item; an item not there: the list.
        assert_eq!(line_of(RON, &path("spawners[1].count")), (6, 9));
        assert_eq!(line_of(RON, &path("spawners[5].count")), (4, 5));
    }
}
