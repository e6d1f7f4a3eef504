//! Encodings: UTF-8 with or without BOM, UTF-16 LE/BE with BOM (Windows PowerShell `Out-File`),
//! and UTF-16 without BOM when the bytes clearly are (`{\0"\0`). UTF-16 is transcoded to UTF-8
//! streaming (odd bytes and surrogate pairs split across chunks are carried over).

use super::format::Format;
use super::unit::Boundary;
use super::{Sink, Wrapper};

enum Enc {
    Sniff(Vec<u8>),
    Utf8,
    Utf16 {
        be: bool,
        carry: Option<u8>,
        high: Option<u16>,
    },
    Disabled,
}

pub(crate) struct Text {
    enc: Enc,
    fmt: Format,
    scratch: Vec<u8>,
}

impl Text {
    pub fn new() -> Text {
        Text {
            enc: Enc::Sniff(Vec::new()),
            fmt: Format::new(),
            scratch: Vec::new(),
        }
    }

    /// UTF-8 text resumed at a record boundary.
    pub fn resume(b: &Boundary) -> Text {
        Text {
            enc: Enc::Utf8,
            fmt: Format::resume(b),
            scratch: Vec::new(),
        }
    }

    /// The format parser, when the text is UTF-8 (positions are the file's own bytes).
    pub fn utf8_format(&mut self) -> Option<&mut Format> {
        match self.enc {
            Enc::Utf8 => Some(&mut self.fmt),
            _ => None,
        }
    }

    /// A sink that ignores its input (an unsupported nested container, already reported).
    pub fn disabled() -> Text {
        Text {
            enc: Enc::Disabled,
            fmt: Format::new(),
            scratch: Vec::new(),
        }
    }

    pub fn feed(&mut self, data: &[u8], sink: &mut Sink) {
        if let Enc::Sniff(buf) = &mut self.enc {
            if buf.len() + data.len() < 4 {
                buf.extend_from_slice(data);
                return;
            }
            let mut head = std::mem::take(buf);
            head.extend_from_slice(data);
            let skip = self.decide(&head, sink);
            self.feed_decoded(&head[skip..], sink);
            return;
        }
        self.feed_decoded(data, sink);
    }

    /// Decide the encoding from the first bytes; returns how many BOM bytes to drop.
    fn decide(&mut self, head: &[u8], sink: &mut Sink) -> usize {
        let (enc, skip, w) = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            (Enc::Utf8, 3, Some(Wrapper::Utf8Bom))
        } else if head.starts_with(&[0xFF, 0xFE]) {
            (
                Enc::Utf16 {
                    be: false,
                    carry: None,
                    high: None,
                },
                2,
                Some(Wrapper::Utf16Le),
            )
        } else if head.starts_with(&[0xFE, 0xFF]) {
            (
                Enc::Utf16 {
                    be: true,
                    carry: None,
                    high: None,
                },
                2,
                Some(Wrapper::Utf16Be),
            )
        } else if head.len() >= 4 && head[0] != 0 && head[1] == 0 && head[2] != 0 && head[3] == 0 {
            (
                Enc::Utf16 {
                    be: false,
                    carry: None,
                    high: None,
                },
                0,
                Some(Wrapper::Utf16Le),
            )
        } else if head.len() >= 4 && head[0] == 0 && head[1] != 0 && head[2] == 0 && head[3] != 0 {
            (
                Enc::Utf16 {
                    be: true,
                    carry: None,
                    high: None,
                },
                0,
                Some(Wrapper::Utf16Be),
            )
        } else {
            (Enc::Utf8, 0, None)
        };
        if let Some(w) = w {
            sink.report.add_wrapper(w);
        }
        match enc {
            Enc::Utf8 => {
                if let Some(p) = &mut sink.slot.meta.plain {
                    *p += skip as u8;
                }
            }
            _ => sink.slot.not_plain(),
        }
        self.enc = enc;
        skip
    }

    fn feed_decoded(&mut self, data: &[u8], sink: &mut Sink) {
        match &mut self.enc {
            Enc::Sniff(_) => unreachable!("decided before"),
            Enc::Disabled => {}
            Enc::Utf8 => self.fmt.feed(data, sink),
            Enc::Utf16 { be, carry, high } => {
                self.scratch.clear();
                utf16_to_utf8(*be, carry, high, data, &mut self.scratch);
                let out = std::mem::take(&mut self.scratch);
                self.fmt.feed(&out, sink);
                self.scratch = out;
            }
        }
    }

    pub fn finish(&mut self, sink: &mut Sink) {
        if let Enc::Sniff(buf) = &mut self.enc {
            let head = std::mem::take(buf);
            let skip = self.decide(&head, sink);
            self.feed_decoded(&head[skip..], sink);
        }
        if let Enc::Disabled = self.enc {
            return;
        }
        if let Enc::Utf16 { carry, high, .. } = &mut self.enc {
            if carry.take().is_some() || high.take().is_some() {
                let rep = "\u{FFFD}".as_bytes().to_vec();
                self.fmt.feed(&rep, sink);
            }
        }
        self.fmt.finish(sink);
    }
}

fn push_char(out: &mut Vec<u8>, c: u32) {
    let ch = char::from_u32(c).unwrap_or('\u{FFFD}');
    let mut b = [0u8; 4];
    out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
}

/// Transcode UTF-16 to UTF-8, carrying an odd byte and a pending high surrogate across chunks.
fn utf16_to_utf8(
    be: bool,
    carry: &mut Option<u8>,
    high: &mut Option<u16>,
    data: &[u8],
    out: &mut Vec<u8>,
) {
    out.reserve(data.len() / 2 + 4);
    let mut i = 0;
    let mut unit = |a: u8, b: u8, out: &mut Vec<u8>| {
        let u = if be {
            u16::from_be_bytes([a, b])
        } else {
            u16::from_le_bytes([a, b])
        };
        if let Some(h) = high.take() {
            if (0xDC00..0xE000).contains(&u) {
                let c = 0x10000 + (((h as u32) - 0xD800) << 10) + ((u as u32) - 0xDC00);
                push_char(out, c);
                return;
            }
            push_char(out, 0xFFFD);
        }
        if (0xD800..0xDC00).contains(&u) {
            *high = Some(u);
        } else if (0xDC00..0xE000).contains(&u) {
            push_char(out, 0xFFFD);
        } else if u < 0x80 {
            out.push(u as u8);
        } else {
            push_char(out, u as u32);
        }
    };
    if let Some(a) = carry.take() {
        if let Some(&b) = data.first() {
            unit(a, b, out);
            i = 1;
        } else {
            *carry = Some(a);
            return;
        }
    }
    while i + 1 < data.len() {
        unit(data[i], data[i + 1], out);
        i += 2;
    }
    if i < data.len() {
        *carry = Some(data[i]);
    }
}
