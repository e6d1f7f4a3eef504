//! Column batches: the tables operators pass along.
//!
//! Source columns are *lazy*: a column of the source table plus a row-index vector into it.
//! Filters, sorts and joins move index vectors, not values; a column is read (and only for the
//! surviving rows) when an expression or the final result needs it. Computed columns hold values.

use crate::tables::{SourceColumn, Store};
use crate::value::{Type, Value};
use std::sync::Arc;

#[derive(Clone)]
pub(crate) enum Data {
    Values(Arc<Vec<Value>>),
    Lazy {
        col: &'static SourceColumn,
        idx: Arc<Vec<u32>>,
    },
}

#[derive(Clone)]
pub(crate) struct Col {
    pub name: String,
    pub ty: Type,
    pub data: Data,
}

#[derive(Clone)]
pub(crate) struct Batch {
    pub cols: Vec<Col>,
    pub len: usize,
}

impl Col {
    #[inline]
    pub fn get(&self, row: usize, src: &Store) -> Value {
        match &self.data {
            Data::Values(v) => v[row].clone(),
            Data::Lazy { col, idx } => src.read(col, idx[row]),
        }
    }
}

pub(crate) fn values_col(name: impl Into<String>, ty: Type, v: Vec<Value>) -> Col {
    Col {
        name: name.into(),
        ty,
        data: Data::Values(Arc::new(v)),
    }
}

impl Batch {
    /// A batch of `len` rows and no columns (what `print` starts from).
    pub fn rows_only(len: usize) -> Batch {
        Batch {
            cols: Vec::new(),
            len,
        }
    }

    /// A whole source table, every column lazy over one shared index.
    pub fn source(cols: &'static [SourceColumn], n: usize) -> Batch {
        let idx = Arc::new((0..n as u32).collect::<Vec<u32>>());
        Batch {
            cols: cols
                .iter()
                .map(|c| Col {
                    name: c.name.to_string(),
                    ty: c.ty,
                    data: Data::Lazy {
                        col: c,
                        idx: idx.clone(),
                    },
                })
                .collect(),
            len: n,
        }
    }

    pub fn schema(&self) -> Vec<(String, Type)> {
        self.cols.iter().map(|c| (c.name.clone(), c.ty)).collect()
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.cols.iter().position(|c| c.name == name)
    }

    /// Add a column, replacing one of the same name in place.
    pub fn set_col(&mut self, col: Col) {
        match self.index_of(&col.name) {
            Some(i) => self.cols[i] = col,
            None => self.cols.push(col),
        }
    }

    /// Rows in `rows` order (indices into this batch). Lazy columns sharing an index vector keep
    /// sharing one.
    pub fn gather(&self, rows: &[u32]) -> Batch {
        let mut cache: Vec<(*const Vec<u32>, Arc<Vec<u32>>)> = Vec::new();
        let cols = self
            .cols
            .iter()
            .map(|c| {
                let data = match &c.data {
                    Data::Values(v) => Data::Values(Arc::new(
                        rows.iter().map(|&r| v[r as usize].clone()).collect(),
                    )),
                    Data::Lazy { col, idx } => {
                        let key = Arc::as_ptr(idx);
                        let new = match cache.iter().find(|(k, _)| *k == key) {
                            Some((_, a)) => a.clone(),
                            None => {
                                let a = Arc::new(
                                    rows.iter().map(|&r| idx[r as usize]).collect::<Vec<u32>>(),
                                );
                                cache.push((key, a.clone()));
                                a
                            }
                        };
                        Data::Lazy { col, idx: new }
                    }
                };
                Col {
                    name: c.name.clone(),
                    ty: c.ty,
                    data,
                }
            })
            .collect();
        Batch {
            cols,
            len: rows.len(),
        }
    }

    /// Like `gather`, with `None` rows filled with each column's missing value (outer joins).
    pub fn gather_opt(&self, rows: &[Option<u32>], src: &Store) -> Batch {
        if rows.iter().all(|r| r.is_some()) {
            let r: Vec<u32> = rows.iter().map(|r| r.unwrap_or(0)).collect();
            return self.gather(&r);
        }
        let cols = self
            .cols
            .iter()
            .map(|c| {
                let miss = c.ty.missing();
                let v: Vec<Value> = rows
                    .iter()
                    .map(|r| match r {
                        Some(r) => c.get(*r as usize, src),
                        None => miss.clone(),
                    })
                    .collect();
                values_col(c.name.clone(), c.ty, v)
            })
            .collect();
        Batch {
            cols,
            len: rows.len(),
        }
    }

    pub fn empty_like(&self) -> Batch {
        self.gather(&[])
    }
}

/// Batches stacked: the union of their columns (first-seen order), absent cells missing.
pub(crate) fn union_batches(parts: Vec<Batch>, src: &Store) -> Batch {
    if parts.len() == 1 {
        return parts
            .into_iter()
            .next()
            .unwrap_or_else(|| Batch::rows_only(0));
    }
    let mut names: Vec<(String, Type)> = Vec::new();
    for p in &parts {
        for c in &p.cols {
            if !names.iter().any(|(n, _)| *n == c.name) {
                names.push((c.name.clone(), c.ty));
            }
        }
    }
    let len: usize = parts.iter().map(|p| p.len).sum();
    let cols = names
        .iter()
        .map(|(name, ty)| {
            let mut v = Vec::with_capacity(len);
            for p in &parts {
                match p.index_of(name) {
                    Some(i) => {
                        for r in 0..p.len {
                            v.push(p.cols[i].get(r, src));
                        }
                    }
                    None => v.extend(std::iter::repeat_n(ty.missing(), p.len)),
                }
            }
            values_col(name.clone(), *ty, v)
        })
        .collect();
    Batch { cols, len }
}

/// The columns of `left` then those of `right` (same row count), a right column whose name
/// the left already has renamed as Kusto does (`X1`): a join's or a lookup's result.
pub(crate) fn side_by_side(left: Batch, right: Batch) -> Batch {
    let len = left.len;
    let mut cols = left.cols;
    let mut names: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
    for mut c in right.cols {
        c.name = push_unique(&mut names, c.name.clone());
        cols.push(c);
    }
    Batch { cols, len }
}

/// A name not yet in `names` (Kusto's `X`, `X1`, `X2`, …), recorded.
pub(crate) fn push_unique(names: &mut Vec<String>, name: String) -> String {
    let mut n = name.clone();
    let mut k = 1;
    while names.contains(&n) {
        n = format!("{name}{k}");
        k += 1;
    }
    names.push(n.clone());
    n
}
