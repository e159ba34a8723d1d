//! Annotated dumps of PDUs: one field per line, `name value meaning`, for
//! logs, failure reports and snapshot tests.

use core::fmt::{self, Display, Write as _};

/// Bytes of a binary data segment shown before the dump elides the rest.
const HEX_LIMIT: usize = 256;

/// A dump under construction: one line per field.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Dump {
    out: String,
}

impl Dump {
    /// An empty dump.
    pub fn new() -> Dump {
        Dump::default()
    }

    /// A line `name value meaning` (meaning may be empty).
    pub fn field(&mut self, name: &str, value: impl Display, meaning: impl Display) {
        let meaning = meaning.to_string();
        // Through a String: `format_args!` values ignore width.
        let value = value.to_string();
        let line = if meaning.is_empty() {
            format!("{name:<28} {value}")
        } else {
            format!("{name:<28} {value:<12} {meaning}")
        };
        self.out.push_str(line.trim_end());
        self.out.push('\n');
    }

    /// A one-bit flag.
    pub fn flag(&mut self, name: &str, set: bool, meaning: &str) {
        self.field(name, u8::from(set), meaning);
    }

    /// A 32-bit value shown in hex and decimal, as tags and sequence numbers
    /// are read both ways; 0xffffffff is marked as the reserved tag value.
    pub fn u32(&mut self, name: &str, v: u32) {
        let meaning = if v == u32::MAX {
            "reserved value 0xffffffff".to_string()
        } else {
            format!("({v})")
        };
        self.field(name, format_args!("{v:#010x}"), meaning);
    }

    /// A reserved field: its bytes in hex, flagged when not zero (RFC 7143
    /// §11.2: reserved fields are sent as zero).
    pub fn reserved(&mut self, name: &str, bytes: &[u8]) {
        let meaning = if bytes.iter().all(|&b| b == 0) {
            "reserved"
        } else {
            "reserved, NOT ZERO"
        };
        self.field(name, hex(bytes), meaning);
    }

    /// A data segment of text key=value pairs (RFC 7143 §6.1), one pair a
    /// line, split on NUL; bytes that are not UTF-8 are escaped.
    pub fn text_data(&mut self, data: &[u8]) {
        self.field("data segment", format_args!("{} bytes", data.len()), "text");
        let mut pairs = data.split(|&b| b == 0).peekable();
        while let Some(pair) = pairs.next() {
            // The final NUL yields one empty piece; an empty piece elsewhere
            // is an empty pair and is shown as such.
            if pair.is_empty() && pairs.peek().is_none() {
                break;
            }
            let _ = writeln!(self.out, "  {}", escape(pair));
        }
        if !data.is_empty() && data.last() != Some(&0) {
            self.out.push_str("  (last pair not NUL-terminated)\n");
        }
    }

    /// A binary data segment as hex, 16 bytes a line, the first
    /// `HEX_LIMIT` bytes only.
    pub fn binary_data(&mut self, name: &str, data: &[u8]) {
        if data.is_empty() {
            self.field(name, "0 bytes", "");
            return;
        }
        self.field(name, format_args!("{} bytes", data.len()), "");
        let shown = data.get(..HEX_LIMIT).unwrap_or(data);
        for (i, chunk) in shown.chunks(16).enumerate() {
            let _ = writeln!(self.out, "  {:04x}: {}", i * 16, hex(chunk));
        }
        if data.len() > shown.len() {
            let _ = writeln!(self.out, "  ... {} more bytes", data.len() - shown.len());
        }
    }

    /// The finished text.
    pub fn finish(self) -> String {
        self.out
    }
}

impl Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.out)
    }
}

/// Bytes as space-separated hex pairs.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Text for a log line: printable ASCII as is, anything else as `\xNN`.
fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            s.push(char::from(b));
        } else {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_aligned() {
        let mut d = Dump::new();
        d.field("opcode", "0x03", "Login Request");
        d.flag("T (transit)", true, "");
        d.u32("ITT", 7);
        d.u32("TTT", u32::MAX);
        d.reserved("bytes 40-47", &[0, 1]);
        let s = d.finish();
        assert_eq!(
            s,
            "opcode                       0x03         Login Request\n\
             T (transit)                  1\n\
             ITT                          0x00000007   (7)\n\
             TTT                          0xffffffff   reserved value 0xffffffff\n\
             bytes 40-47                  00 01        reserved, NOT ZERO\n"
        );
    }

    #[test]
    fn text_and_binary_data() {
        let mut d = Dump::new();
        d.text_data(b"InitiatorName=iqn.x\0SessionType=Normal\0Bad=\xff\\");
        d.binary_data("sense", &[1, 2, 3]);
        d.binary_data("empty", &[]);
        let big = vec![0xabu8; 300];
        d.binary_data("big", &big);
        let s = d.to_string();
        assert!(s.contains("\n  InitiatorName=iqn.x\n  SessionType=Normal\n  Bad=\\xff\\x5c\n"));
        assert!(s.contains("(last pair not NUL-terminated)"));
        assert!(s.contains("  0000: 01 02 03\n"));
        assert!(s.contains("empty                        0 bytes\n"));
        assert!(s.contains("  ... 44 more bytes\n"));
    }
}
