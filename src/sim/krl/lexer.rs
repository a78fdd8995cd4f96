//! KRL lexer: one statement per line, `;` comments (FOLD lines included), `&` header lines.

use super::diag::{DiagSink, Span};

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A name; `upper` is the case-folded spelling used for matching.
    Ident(String),
    Int(i64),
    Real(f64),
    Str(String),
    /// A character literal `'A'`.
    Char(u8),
    /// `#NAME` enum literal, upper-cased.
    Enum(String),
    Punct(&'static str),
    Newline,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

const PUNCTS: &[&str] = &["==", "<>", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", "=", "<", ">", "+", "-", "*", "/", ":", "."];

/// Splits a source file into tokens. Lexical errors go to `diags`; the lexer never fails.
pub fn lex(src: &str, diags: &mut DiagSink) -> Vec<Token> {
    let mut out = Vec::new();
    let mut header_zone = true;
    for (li, line) in src.lines().enumerate() {
        let lno = li as u32 + 1;
        let trimmed = line.trim_start();
        if header_zone && trimmed.starts_with('&') {
            continue;
        }
        if !trimmed.is_empty() && !trimmed.starts_with(';') {
            header_zone = false;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        let mut emitted = false;
        while i < chars.len() {
            let c = chars[i];
            let col = i as u32 + 1;
            if c == ';' {
                break;
            }
            if c.is_whitespace() {
                i += 1;
                continue;
            }
            emitted = true;
            if c.is_ascii_alphabetic() || c == '_' || c == '$' {
                let s = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                    i += 1;
                }
                let word: String = chars[s..i].iter().collect();
                out.push(Token { tok: Tok::Ident(word.to_ascii_uppercase()), span: Span::new(lno, col, (i - s) as u32) });
                continue;
            }
            if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
                let s = i;
                let mut is_real = false;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                if i < chars.len() && chars[i] == '.' && chars.get(i + 1).is_none_or(|d| d.is_ascii_digit() || !d.is_ascii_alphabetic()) {
                    is_real = true;
                    i += 1;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                if i < chars.len() && (chars[i] == 'E' || chars[i] == 'e') {
                    let save = i;
                    let mut j = i + 1;
                    if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                        j += 1;
                    }
                    if j < chars.len() && chars[j].is_ascii_digit() {
                        while j < chars.len() && chars[j].is_ascii_digit() {
                            j += 1;
                        }
                        is_real = true;
                        i = j;
                    } else {
                        i = save;
                    }
                }
                let text: String = chars[s..i].iter().collect();
                let span = Span::new(lno, col, (i - s) as u32);
                if is_real {
                    match text.parse::<f64>() {
                        Ok(v) => out.push(Token { tok: Tok::Real(v), span }),
                        Err(_) => diags.error("KRL001", span, format!("malformed number `{text}`"), None),
                    }
                } else {
                    match text.parse::<i64>() {
                        Ok(v) if v <= i32::MAX as i64 => out.push(Token { tok: Tok::Int(v), span }),
                        _ => diags.error(
                            "KRL001",
                            span,
                            format!("integer `{text}` is too large"),
                            Some("INT is 32-bit signed: at most 2147483647"),
                        ),
                    }
                }
                continue;
            }
            if c == '"' {
                let s = i;
                i += 1;
                let mut text = String::new();
                while i < chars.len() && chars[i] != '"' {
                    text.push(chars[i]);
                    i += 1;
                }
                if i >= chars.len() {
                    diags.error(
                        "KRL002",
                        Span::new(lno, col, (i - s) as u32),
                        "string is not closed",
                        Some("close it with \" on the same line"),
                    );
                } else {
                    i += 1;
                    out.push(Token { tok: Tok::Str(text), span: Span::new(lno, col, (i - s) as u32) });
                }
                continue;
            }
            if c == '\'' {
                let s = i;
                i += 1;
                let mut text = String::new();
                while i < chars.len() && chars[i] != '\'' {
                    text.push(chars[i]);
                    i += 1;
                }
                let span = Span::new(lno, col, (i + 1 - s) as u32);
                if i >= chars.len() {
                    diags.error("KRL002", span, "character literal is not closed", Some("write 'A', 'B1010' or 'H1F'"));
                    continue;
                }
                i += 1;
                let up = text.to_ascii_uppercase();
                let digits: String = up.chars().skip(1).filter(|c| !c.is_whitespace()).collect();
                if up.starts_with('B') && text.len() > 1 && digits.chars().all(|c| c == '0' || c == '1') && !digits.is_empty() {
                    out.push(Token { tok: Tok::Int(i64::from_str_radix(&digits, 2).unwrap_or(0)), span });
                } else if up.starts_with('H') && text.len() > 1 && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_hexdigit()) {
                    out.push(Token { tok: Tok::Int(i64::from_str_radix(&digits, 16).unwrap_or(0)), span });
                } else if text.len() == 1 && text.is_ascii() {
                    out.push(Token { tok: Tok::Char(super::source::byte_1252(text.chars().next().unwrap_or('?'))), span });
                } else {
                    diags.error(
                        "KRL003",
                        span,
                        format!("'{text}' is not a character, binary or hex literal"),
                        Some("strings use double quotes: \"text\""),
                    );
                }
                continue;
            }
            if c == '#' {
                let s = i;
                i += 1;
                // `# STATE` (a space after `#`) is accepted by the controller too.
                let mut start = i;
                while start < chars.len() && (chars[start] == ' ' || chars[start] == '\t') {
                    start += 1;
                }
                if start < chars.len() && (chars[start].is_ascii_alphabetic() || chars[start] == '_') {
                    i = start;
                }
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let name: String = chars[start.min(i)..i].iter().collect();
                let span = Span::new(lno, col, (i - s) as u32);
                if name.is_empty() {
                    diags.error("KRL004", span, "`#` must be followed by an enum value name", Some("e.g. #BASE, #TOOL, #INITMOV"));
                } else {
                    out.push(Token { tok: Tok::Enum(name.to_ascii_uppercase()), span });
                }
                continue;
            }
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            if let Some(p) = PUNCTS.iter().find(|p| rest.starts_with(**p)) {
                out.push(Token { tok: Tok::Punct(p), span: Span::new(lno, col, p.len() as u32) });
                i += p.len();
                continue;
            }
            let hint = match c {
                '!' => Some("KRL writes `<>` for not-equal and NOT for negation"),
                '&' | '|' => Some("KRL writes AND / OR"),
                '%' => Some("KRL has no modulo operator; write a DEFFCT"),
                _ => None,
            };
            diags.error("KRL005", Span::new(lno, col, 1), format!("unexpected character `{c}`"), hint);
            i += 1;
        }
        if emitted {
            out.push(Token { tok: Tok::Newline, span: Span::new(lno, chars.len() as u32 + 1, 0) });
        }
    }
    out
}
