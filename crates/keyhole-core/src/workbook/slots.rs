//! Grouping through the store's dictionaries: a panel groups events by a text (a vault name, an
//! IP label, an identity label), and the store already numbers each event's vault, caller,
//! identity and operation. [`Slots`] computes a group's key once per distinct dictionary id and
//! hands out dense slot numbers, so the per-event work is an array lookup instead of hashing a
//! string. Two ids with the same key share a slot: the groups are exactly the ones keyed by text.

use rustc_hash::FxHashMap;
use std::hash::Hash;

const UNSEEN: u32 = u32::MAX;

pub(super) struct Slots<K> {
    /// Dictionary id → slot (`UNSEEN` until its first event).
    memo: Vec<u32>,
    map: FxHashMap<K, u32>,
    keys: Vec<K>,
}

impl<K: Copy + Eq + Hash> Slots<K> {
    /// For ids `0..ids` of one dictionary.
    pub fn new(ids: usize) -> Slots<K> {
        Slots {
            memo: vec![UNSEEN; ids],
            map: FxHashMap::default(),
            keys: Vec::new(),
        }
    }

    /// The slot of dictionary id `id`; `key` is called on its first event only.
    #[inline]
    pub fn slot(&mut self, id: u32, key: impl FnOnce() -> K) -> usize {
        let i = id as usize;
        if i >= self.memo.len() {
            self.memo.resize(i + 1, UNSEEN);
        }
        let s = self.memo[i];
        if s != UNSEEN {
            return s as usize;
        }
        let k = key();
        let next = self.keys.len() as u32;
        let s = *self.map.entry(k).or_insert(next);
        if s == next {
            self.keys.push(k);
        }
        self.memo[i] = s;
        s as usize
    }

    /// The key of each slot, in slot order.
    pub fn keys(&self) -> &[K] {
        &self.keys
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }
}

/// `v[i]`, growing `v` with defaults to reach it.
#[inline]
pub(super) fn at<T: Default>(v: &mut Vec<T>, i: usize) -> &mut T {
    if i >= v.len() {
        v.resize_with(i + 1, T::default);
    }
    &mut v[i]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_with_one_key_share_a_slot_and_keys_are_computed_once() {
        let mut s: Slots<&str> = Slots::new(2);
        let mut calls = 0;
        let mut get = |s: &mut Slots<&str>, id: u32, k: &'static str| {
            s.slot(id, || {
                calls += 1;
                k
            })
        };
        assert_eq!(get(&mut s, 0, "a"), 0);
        assert_eq!(get(&mut s, 1, "b"), 1);
        assert_eq!(get(&mut s, 0, "ignored"), 0);
        assert_eq!(get(&mut s, 5, "a"), 0); // another id, same key; beyond the initial size
        assert_eq!(calls, 3);
        assert_eq!(s.keys(), &["a", "b"]);
        assert_eq!(s.len(), 2);
    }
}
