//! Container sniffing from magic bytes: gzip (`1f 8b`), zip (`PK\x03\x04`), or plain text.

use super::format::Format;
use super::gzip::Gzip;
use super::text::Text;
use super::unit::Boundary;
use super::zip::Zip;
use super::{Shape, Sink, Wrapper};
use crate::event::Str;

pub(crate) enum Container {
    Sniff {
        buf: Vec<u8>,
        allow_zip: bool,
        name: Str,
    },
    Plain(Text),
    Gzip(Box<Gzip>),
    Zip(Box<Zip>),
}

impl Container {
    /// `allow_zip`: false inside a zip member (no nested archives).
    pub fn new(name: Str, allow_zip: bool) -> Container {
        Container::Sniff {
            buf: Vec::new(),
            allow_zip,
            name,
        }
    }

    /// Plain UTF-8 text resumed at a record boundary.
    pub fn resume(b: &Boundary) -> Container {
        Container::Plain(Text::resume(b))
    }

    /// The format parser of plain UTF-8 text (not decompressed, not transcoded).
    pub fn plain_format(&mut self) -> Option<&mut Format> {
        match self {
            Container::Plain(t) => t.utf8_format(),
            _ => None,
        }
    }

    pub fn feed(&mut self, data: &[u8], sink: &mut Sink) {
        if let Container::Sniff { buf, .. } = self {
            if buf.len() + data.len() < 4 {
                buf.extend_from_slice(data);
                return;
            }
            let mut head = std::mem::take(buf);
            head.extend_from_slice(data);
            self.decide(&head, sink);
            self.feed_inner(&head, sink);
            return;
        }
        self.feed_inner(data, sink);
    }

    fn feed_inner(&mut self, data: &[u8], sink: &mut Sink) {
        match self {
            Container::Sniff { .. } => unreachable!("decided before"),
            Container::Plain(t) => t.feed(data, sink),
            Container::Gzip(g) => g.feed(data, sink),
            Container::Zip(z) => z.feed(data, sink),
        }
    }

    fn decide(&mut self, head: &[u8], sink: &mut Sink) {
        let Container::Sniff {
            allow_zip, name, ..
        } = self
        else {
            return;
        };
        let allow_zip = *allow_zip;
        let name = name.clone();
        let (max_out, max_ratio) = (sink.shared.max_expanded, sink.shared.max_ratio);
        *self = if head.starts_with(&[0x1f, 0x8b]) {
            sink.report.add_wrapper(Wrapper::Gzip);
            sink.slot.not_plain();
            Container::Gzip(Box::new(Gzip::new(max_out, max_ratio)))
        } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            sink.slot.not_plain();
            if allow_zip {
                sink.report.add_wrapper(Wrapper::Zip);
                Container::Zip(Box::new(Zip::new(name, max_out, max_ratio)))
            } else {
                sink.report.add_wrapper(Wrapper::Zip);
                sink.report.add_shape(Shape::Unrecognised);
                sink.problem(
                    0,
                    "zip inside a zip member: nested archives are not read".into(),
                );
                Container::Plain(Text::disabled())
            }
        } else {
            Container::Plain(Text::new())
        };
    }

    pub fn finish(&mut self, sink: &mut Sink) {
        if let Container::Sniff { buf, .. } = self {
            let head = std::mem::take(buf);
            self.decide(&head, sink);
            self.feed_inner(&head, sink);
        }
        match self {
            Container::Sniff { .. } => {}
            Container::Plain(t) => t.finish(sink),
            Container::Gzip(g) => g.finish(sink),
            Container::Zip(z) => z.finish(sink),
        }
    }
}
