//! Reading files as KUKA controllers write them: UTF-8 (with or without a byte-order mark) or
//! Windows-1252 (umlauts and accents in comments and strings), with LF or CRLF line ends. The
//! encoding and line ends are kept, so whatever writes a file back can write it as it was.

use std::path::Path;

/// How a file's text was stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// UTF-8 behind the byte-order mark EF BB BF.
    Utf8Bom,
    /// What KSS writes: one byte per character, code page 1252.
    Windows1252,
}

/// A file's text and how it was stored.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceText {
    pub text: String,
    pub encoding: Encoding,
    /// Lines end in CR LF.
    pub crlf: bool,
}

/// Code page 1252's characters for the bytes 0x80..=0x9F; the five bytes it leaves undefined
/// stand for the C1 control of the same number, so every byte decodes and encodes back.
const CP1252_80_9F: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}', '\u{02C6}', '\u{2030}', '\u{0160}',
    '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}', '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}',
    '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// The character a KRL CHAR (one byte, code page 1252) stands for.
pub fn char_1252(b: u8) -> char {
    if (0x80..=0x9F).contains(&b) { CP1252_80_9F[(b - 0x80) as usize] } else { b as char }
}

/// The byte a character takes in a KRL CHAR (code page 1252); `?` where it has none.
pub fn byte_1252(c: char) -> u8 {
    match c as u32 {
        n @ (0..=0x7F | 0xA0..=0xFF) => n as u8,
        _ => CP1252_80_9F.iter().position(|&k| k == c).map_or(b'?', |i| 0x80 + i as u8),
    }
}

/// Decodes a file's bytes: UTF-8 when they are valid UTF-8 (a byte-order mark is dropped), else
/// Windows-1252, which every byte sequence is.
pub fn decode(bytes: &[u8]) -> SourceText {
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).and_then(|r| std::str::from_utf8(r).ok()) {
        (rest.to_string(), Encoding::Utf8Bom)
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        (s.to_string(), Encoding::Utf8)
    } else {
        let s = bytes.iter().map(|&b| char_1252(b)).collect();
        (s, Encoding::Windows1252)
    };
    let crlf = text.contains("\r\n");
    SourceText { text, encoding, crlf }
}

/// Encodes `text` (with LF or CRLF line ends, as given) the way `encoding` stores it. A
/// character Windows-1252 has no byte for becomes `?`.
pub fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        Encoding::Windows1252 => text.chars().map(byte_1252).collect(),
    }
}

impl SourceText {
    /// The file's bytes as they were read: `text` (LF or CRLF) in its encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.text, self.encoding)
    }
}

/// Reads and decodes a file.
pub fn read(path: &Path) -> std::io::Result<SourceText> {
    Ok(decode(&std::fs::read(path)?))
}

/// Reads a file's text, whatever its encoding.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    read(path).map(|s| s.text)
}

/// The bytes to write for `text` over a file that now holds `old` (None: a new file): the old
/// file's encoding and line ends are kept. A new file is UTF-8, with the line ends of `text`.
pub fn encode_like(old: Option<&[u8]>, text: &str) -> Vec<u8> {
    let Some(old) = old else { return text.as_bytes().to_vec() };
    let was = decode(old);
    // A file without line ends yet takes those of `text`.
    let text = with_line_ends(text, was.crlf || (!was.text.contains('\n') && text.contains("\r\n")));
    encode(&text, was.encoding)
}

/// `text` with every line ending in CR LF (`crlf`) or in LF.
pub fn with_line_ends(text: &str, crlf: bool) -> String {
    let lf = text.replace("\r\n", "\n");
    if crlf { lf.replace('\n', "\r\n") } else { lf }
}

/// Writes `text` to `path` keeping the file's encoding and line ends.
pub fn write_keeping(path: &Path, text: &str) -> std::io::Result<()> {
    let old = std::fs::read(path).ok();
    std::fs::write(path, encode_like(old.as_deref(), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_decodes_umlauts_and_the_euro_and_writes_them_back() {
        // "Kühler ä €" in code page 1252: ü = FC, ä = E4, € = 80.
        let bytes = b"; K\xfchler \xe4 \x80\r\nEND\r\n";
        let s = decode(bytes);
        assert_eq!(s.text, "; K\u{fc}hler \u{e4} \u{20ac}\r\nEND\r\n");
        assert_eq!((s.encoding, s.crlf), (Encoding::Windows1252, true));
        assert_eq!(s.to_bytes(), bytes.to_vec());
        // Every byte survives the round trip, the undefined ones too.
        let all: Vec<u8> = (0..=255).collect();
        let d = decode(&all);
        assert_eq!(d.encoding, Encoding::Windows1252);
        assert_eq!(d.to_bytes(), all);
    }

    #[test]
    fn written_back_in_the_encoding_and_line_ends_found() {
        // A controller's file: code page 1252 and CR LF; the editor gives LF and an umlaut.
        let old = b"; alt\r\nEND\r\n";
        let with_umlaut = b"; K\xfchler\r\nEND\r\n";
        assert_eq!(encode_like(Some(with_umlaut), "; K\u{fc}hl\nEND\n"), b"; K\xfchl\r\nEND\r\n".to_vec());
        // ASCII with CR LF decodes as UTF-8: the line ends stay.
        assert_eq!(encode_like(Some(old), "; neu\nEND\n"), b"; neu\r\nEND\r\n".to_vec());
        let bom = [&[0xEF, 0xBB, 0xBF][..], b"A\n"].concat();
        assert_eq!(encode_like(Some(&bom), "\u{e4}\n"), [&[0xEF, 0xBB, 0xBF][..], "\u{e4}\n".as_bytes()].concat());
        assert_eq!(encode_like(None, "x\n"), b"x\n".to_vec());
    }

    #[test]
    fn utf8_with_and_without_a_bom() {
        let plain = "DEF a( )\nEND\n".as_bytes();
        assert_eq!(decode(plain), SourceText { text: "DEF a( )\nEND\n".into(), encoding: Encoding::Utf8, crlf: false });
        let bom = [&[0xEF, 0xBB, 0xBF][..], "; Kühler\r\n".as_bytes()].concat();
        let s = decode(&bom);
        assert_eq!((s.text.as_str(), s.encoding, s.crlf), ("; Kühler\r\n", Encoding::Utf8Bom, true));
        assert_eq!(s.to_bytes(), bom);
    }
}
