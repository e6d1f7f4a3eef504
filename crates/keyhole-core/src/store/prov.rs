//! Provenance (file, line, record index, byte offset, length) of every event, packed: rows are
//! encoded as variable-length deltas from the previous row in blocks of [`BLOCK`] rows, so
//! events that came in file order cost a few bytes each, and any row decodes in at most
//! [`BLOCK`] steps.

use super::batch::{Prov, NO_RECORD};

/// Rows per block.
pub const BLOCK: usize = 64;

#[derive(Debug, Default, Clone)]
pub struct Provenance {
    data: Vec<u8>,
    /// Byte position in `data` where each block starts.
    blocks: Vec<u64>,
    len: usize,
    /// The last row pushed (the next row's delta base within its block).
    last: Prov,
}

#[inline]
fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[inline]
fn take(data: &[u8], i: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = data[*i];
        *i += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

#[inline]
fn zig(d: i64) -> u64 {
    ((d << 1) ^ (d >> 63)) as u64
}

#[inline]
fn unzig(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

impl Provenance {
    /// Encode rows in the given order.
    pub(crate) fn encode(rows: impl Iterator<Item = Prov>) -> Provenance {
        let mut p = Provenance::default();
        for r in rows {
            p.push(r);
        }
        p.shrink_to_fit();
        p
    }

    /// Append a row (the store builder packs rows as they are merged: 32 bytes a row
    /// unpacked, a few packed).
    pub(crate) fn push(&mut self, r: Prov) {
        let prev = if self.len.is_multiple_of(BLOCK) {
            self.blocks.push(self.data.len() as u64);
            Prov::default()
        } else {
            self.last
        };
        let has_record = r.record != NO_RECORD;
        put(&mut self.data, ((r.file as u64) << 1) | has_record as u64);
        put(&mut self.data, zig(r.line.wrapping_sub(prev.line) as i64));
        put(
            &mut self.data,
            zig(r.offset.wrapping_sub(prev.offset) as i64),
        );
        put(&mut self.data, r.len as u64);
        if has_record {
            let base = if prev.record == NO_RECORD {
                0
            } else {
                prev.record
            };
            put(&mut self.data, zig(r.record.wrapping_sub(base) as i64));
        }
        self.last = r;
        self.len += 1;
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.data.shrink_to_fit();
        self.blocks.shrink_to_fit();
    }

    fn step(&self, i: &mut usize, prev: &Prov) -> Prov {
        let d = &self.data;
        let head = take(d, i);
        let line = prev.line.wrapping_add(unzig(take(d, i)) as u64);
        let offset = prev.offset.wrapping_add(unzig(take(d, i)) as u64);
        let len = take(d, i) as u32;
        let record = if head & 1 == 1 {
            let base = if prev.record == NO_RECORD {
                0
            } else {
                prev.record
            };
            base.wrapping_add(unzig(take(d, i)) as u64)
        } else {
            NO_RECORD
        };
        Prov {
            file: (head >> 1) as u32,
            len,
            line,
            record,
            offset,
        }
    }

    /// The provenance of row `row`.
    pub(crate) fn get(&self, row: usize) -> Prov {
        let b = row / BLOCK;
        let mut i = self.blocks[b] as usize;
        let mut prev = Prov::default();
        for _ in 0..=(row % BLOCK) {
            prev = self.step(&mut i, &prev);
        }
        prev
    }

    /// Every row in order (decoded sequentially).
    pub(crate) fn iter(&self) -> impl Iterator<Item = Prov> + '_ {
        let mut i = 0usize;
        let mut prev = Prov::default();
        (0..self.len).map(move |r| {
            if r % BLOCK == 0 {
                prev = Prov::default();
            }
            prev = self.step(&mut i, &prev);
            prev
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn heap_bytes(&self) -> usize {
        self.data.capacity() + self.blocks.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_decode_as_encoded_in_any_order() {
        let mut rows = Vec::new();
        let mut x: u64 = 7;
        for i in 0..1000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            rows.push(Prov {
                file: (x >> 60) as u32,
                len: (x >> 40) as u32 & 0xffff,
                line: if i % 7 == 0 { x >> 20 } else { i + 1 },
                record: if i % 3 == 0 { NO_RECORD } else { x >> 33 },
                offset: if i % 11 == 0 { u64::MAX - i } else { i * 1000 },
            });
        }
        let p = Provenance::encode(rows.iter().copied());
        assert_eq!(p.len(), rows.len());
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(p.get(i), *r, "row {i}");
        }
        assert_eq!(p.iter().collect::<Vec<_>>(), rows);
        // pushed one by one, across blocks, the same bytes
        let mut q = Provenance::default();
        rows.iter().for_each(|r| q.push(*r));
        assert_eq!((q.data, q.blocks, q.len), (p.data, p.blocks, p.len));
    }
}
