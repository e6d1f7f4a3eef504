//! Shared per-entity state built from the drop itself: first-seen days, distinct active days,
//! sliding windows with distinct counts, daily counters and the robust (median/MAD) score.
//!
//! Everything here is updated in time order, one event at a time, after the rules have judged
//! that event, so a rule always sees the history *before* the event.

use crate::event::Str;
use crate::store::EventRef;
use crate::time::MICROS_PER_DAY;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

/// The Fx hash (rustc's), kept here on a 64-bit state on every target: `rustc-hash`'s
/// `FxBuildHasher` hashes in `usize`, which on the page's wasm32 made detection of a 1 GB drop
/// 33 % slower (1,055 → 1,405 ms, `bench/page_bench.mjs`); natively the two cost the same.
/// Fast for the small integer keys the rules use. Only ever fed
/// engine-assigned ids and pointers, never attacker-controlled text (text goes through the
/// SipHash map of the [`Interner`]), so hash flooding is not a concern.
#[derive(Clone, Copy, Default)]
pub struct FxHasher {
    hash: u64,
}

const FX_K: u64 = 0x517c_c1b7_2722_0a95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(FX_K);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;
pub type FxMap<K, V> = HashMap<K, V, FxBuild>;
pub type FxSet<K> = HashSet<K, FxBuild>;

/// An interned string id (vault, principal, operation, object name, app id).
pub type Id = u32;

/// Maps the event's shared strings to small integer ids. The ingest layer interns strings, so
/// the same text is usually the same allocation: a pointer lookup answers most calls; equal text
/// in different allocations still gets one id through the text map.
#[derive(Default)]
pub struct Interner {
    by_ptr: FxMap<usize, Id>,
    by_text: HashMap<Str, Id>,
    names: Vec<Str>,
}

impl Interner {
    pub fn id(&mut self, s: &Str) -> Id {
        let p = Arc::as_ptr(s) as *const u8 as usize;
        if let Some(&i) = self.by_ptr.get(&p) {
            return i;
        }
        let names = &mut self.names;
        let i = *self.by_text.entry(s.clone()).or_insert_with(|| {
            names.push(s.clone());
            (names.len() - 1) as Id
        });
        self.by_ptr.insert(p, i);
        i
    }

    pub fn name(&self, id: Id) -> &str {
        &self.names[id as usize]
    }
}

/// The ids of the event being judged, computed once by the engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvIds {
    pub vault: Id,
    /// `Identity::principal_key()`.
    pub principal: Option<Id>,
    pub operation: Id,
    pub object: Option<Id>,
    pub app: Option<Id>,
}

impl EvIds {
    pub fn of(i: &mut Interner, ev: EventRef<'_>) -> EvIds {
        EvIds {
            vault: i.id(ev.vault()),
            principal: ev.identity().principal_key().map(|p| i.id(p)),
            operation: i.id(ev.operation()),
            object: ev.object_name().as_ref().map(|o| i.id(o)),
            app: ev.identity().app_id.as_ref().map(|a| i.id(a)),
        }
    }
}

/// [`EvIds`] by the store's own dictionary ids: each resource, identity, operation and object
/// of the store is interned once, then read by index, instead of five map lookups an event.
/// The interner sees the texts in the order [`EvIds::of`] would give them (a new text always
/// comes with a new store id), so it hands out the same ids.
pub struct StoreIds {
    vault: Vec<Id>,
    principal: Vec<Id>,
    operation: Vec<Id>,
    object: Vec<Id>,
    app: Vec<Id>,
}

/// Not interned yet / interned as "none".
const UNSET: Id = Id::MAX;
const NO_ID: Id = Id::MAX - 1;

impl StoreIds {
    pub fn new(store: &crate::store::EventStore) -> StoreIds {
        StoreIds {
            vault: vec![UNSET; store.resources.len()],
            principal: vec![UNSET; store.identities.len()],
            operation: vec![UNSET; store.operations.len()],
            object: vec![UNSET; store.objects.len()],
            app: vec![UNSET; store.identities.len()],
        }
    }

    /// What [`EvIds::of`] gives for the event.
    pub fn of(&mut self, i: &mut Interner, ev: EventRef<'_>) -> EvIds {
        fn get(slot: &mut Id, f: impl FnOnce() -> Option<Id>) -> Option<Id> {
            if *slot == UNSET {
                *slot = f().unwrap_or(NO_ID);
            }
            (*slot != NO_ID).then_some(*slot)
        }
        let ident = ev.identity_id() as usize;
        let vault = get(&mut self.vault[ev.vault_id() as usize], || {
            Some(i.id(ev.vault()))
        });
        let principal = get(&mut self.principal[ident], || {
            ev.identity().principal_key().map(|p| i.id(p))
        });
        let operation = get(&mut self.operation[ev.operation_id() as usize], || {
            Some(i.id(ev.operation()))
        });
        let object = get(&mut self.object[ev.object_ref_id() as usize], || {
            ev.object_name().as_ref().map(|o| i.id(o))
        });
        let app = get(&mut self.app[ident], || {
            ev.identity().app_id.as_ref().map(|a| i.id(a))
        });
        EvIds {
            vault: vault.unwrap_or_default(),
            principal,
            operation: operation.unwrap_or_default(),
            object,
            app,
        }
    }
}

/// Distinct UTC days on which something was seen (events arrive in time order, so the last
/// day is enough to count distinct days).
#[derive(Clone, Copy, Debug, Default)]
pub struct DaySet {
    pub first_day: i64,
    pub last_day: i64,
    pub days: u32,
}

impl DaySet {
    pub fn new(day: i64) -> DaySet {
        DaySet {
            first_day: day,
            last_day: day,
            days: 1,
        }
    }

    pub fn see(&mut self, day: i64) {
        if day > self.last_day {
            self.last_day = day;
            self.days += 1;
        }
    }

    /// Distinct days strictly before `day`.
    pub fn days_before(&self, day: i64) -> u32 {
        if self.last_day >= day {
            self.days.saturating_sub(1)
        } else {
            self.days
        }
    }
}

/// State shared by the rules: learning periods and principal histories.
#[derive(Default)]
pub struct Baseline {
    /// First UTC day of each vault's data.
    pub vault_first_day: FxMap<Id, i64>,
    /// Last UTC day of each vault's data.
    pub vault_last_day: FxMap<Id, i64>,
    /// First UTC day of the whole drop.
    pub drop_first_day: Option<i64>,
    /// Days each principal was active (any vault).
    pub principal_days: FxMap<Id, DaySet>,
    /// Days each principal was active on each vault.
    pub vault_principal_days: FxMap<(Id, Id), DaySet>,
    /// When each principal was first active (microseconds), anywhere and on each vault.
    pub principal_since: FxMap<Id, i64>,
    pub vault_principal_since: FxMap<(Id, Id), i64>,
}

impl Baseline {
    /// Record an event (after the rules judged it). Vault first days are recorded before
    /// judging by [`Baseline::see_vault`] so a vault's first event is inside its learning period.
    pub fn update(&mut self, ev: EventRef<'_>, ids: &EvIds) {
        let day = ev.time().day();
        if let Some(pk) = ids.principal {
            self.principal_since.entry(pk).or_insert(ev.time().micros);
            self.vault_principal_since
                .entry((ids.vault, pk))
                .or_insert(ev.time().micros);
            self.principal_days
                .entry(pk)
                .and_modify(|d| d.see(day))
                .or_insert_with(|| DaySet::new(day));
            self.vault_principal_days
                .entry((ids.vault, pk))
                .and_modify(|d| d.see(day))
                .or_insert_with(|| DaySet::new(day));
        }
    }

    pub fn see_vault(&mut self, ev: EventRef<'_>, ids: &EvIds) {
        let day = ev.time().day();
        if self.drop_first_day.is_none() {
            self.drop_first_day = Some(day);
        }
        self.vault_first_day.entry(ids.vault).or_insert(day);
        let last = self.vault_last_day.entry(ids.vault).or_insert(day);
        *last = (*last).max(day);
    }

    /// True while the vault is in its learning period (its first `learning_days` days).
    pub fn vault_learning(&self, vault: Id, day: i64, learning_days: u32) -> bool {
        match self.vault_first_day.get(&vault) {
            Some(first) => day < first + learning_days as i64,
            None => true,
        }
    }

    /// True while the drop as a whole is in its learning period (for rules across vaults).
    pub fn drop_learning(&self, day: i64, learning_days: u32) -> bool {
        match self.drop_first_day {
            Some(first) => day < first + learning_days as i64,
            None => true,
        }
    }

    /// How long before `t` the principal was first active on the vault (0 when never).
    pub fn vault_principal_known_for(&self, vault: Id, pk: Id, t: i64) -> i64 {
        self.vault_principal_since
            .get(&(vault, pk))
            .map_or(0, |s| (t - s).max(0))
    }

    /// How long before `t` the principal was first active anywhere (0 when never).
    pub fn principal_known_for(&self, pk: Id, t: i64) -> i64 {
        self.principal_since.get(&pk).map_or(0, |s| (t - s).max(0))
    }

    /// Distinct days the principal was active anywhere before `day`.
    pub fn principal_days_before(&self, pk: Id, day: i64) -> u32 {
        self.principal_days
            .get(&pk)
            .map_or(0, |d| d.days_before(day))
    }

    /// Distinct days the principal was active on the vault before `day`.
    pub fn vault_principal_days_before(&self, vault: Id, pk: Id, day: i64) -> u32 {
        self.vault_principal_days
            .get(&(vault, pk))
            .map_or(0, |d| d.days_before(day))
    }
}

/// A sliding time window with a count of distinct keys (e.g. vaults a principal touched in
/// the last 24 h). Amortised O(1) per event.
#[derive(Clone, Debug)]
pub struct SlidingDistinct<K: Hash + Eq + Clone> {
    window: i64,
    items: VecDeque<(i64, K)>,
    /// Events in the window per key, and the latest event index of the key.
    counts: FxMap<K, (u32, usize)>,
}

impl<K: Hash + Eq + Clone> SlidingDistinct<K> {
    pub fn new(window_micros: i64) -> Self {
        SlidingDistinct {
            window: window_micros,
            items: VecDeque::new(),
            counts: FxMap::default(),
        }
    }

    /// Add a key at time `t` (micros) from event `idx` and drop what fell out of the window.
    pub fn push(&mut self, t: i64, key: K, idx: usize) {
        self.expire(t);
        let c = self.counts.entry(key.clone()).or_insert((0, idx));
        c.0 += 1;
        c.1 = idx;
        self.items.push_back((t, key));
    }

    /// The latest event index of every key in the window, ascending.
    pub fn latest_events(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.counts.values().map(|c| c.1).collect();
        v.sort_unstable();
        v
    }

    pub fn expire(&mut self, t: i64) {
        while let Some((t0, _)) = self.items.front() {
            if t - *t0 < self.window {
                break;
            }
            let (_, k) = self.items.pop_front().expect("front exists");
            if let Some(c) = self.counts.get_mut(&k) {
                c.0 -= 1;
                if c.0 == 0 {
                    self.counts.remove(&k);
                }
            }
        }
    }

    pub fn distinct(&self) -> usize {
        self.counts.len()
    }

    pub fn total(&self) -> usize {
        self.items.len()
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.counts.keys()
    }
}

/// 24 hours in microseconds.
pub const DAY: i64 = MICROS_PER_DAY;

/// Maximum of a per-window measure, counting only windows observed on days before the
/// current one ("its maximum so far", judged against history before the event's day).
#[derive(Clone, Copy, Debug, Default)]
pub struct LaggedMax {
    day: i64,
    today: u64,
    before: u64,
    seen: bool,
}

impl LaggedMax {
    /// The maximum on days before `day`.
    pub fn before(&mut self, day: i64) -> u64 {
        self.roll(day);
        self.before
    }

    pub fn observe(&mut self, day: i64, v: u64) {
        self.roll(day);
        self.today = self.today.max(v);
    }

    fn roll(&mut self, day: i64) {
        if !self.seen {
            self.seen = true;
            self.day = day;
        } else if day > self.day {
            self.before = self.before.max(self.today);
            self.today = 0;
            self.day = day;
        }
    }
}

/// Median of a slice (sorts a copy). Empty → 0.
pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Median and median absolute deviation.
pub fn median_mad(v: &[f64]) -> (f64, f64) {
    let m = median(v);
    let dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    (m, median(&dev))
}

/// Robust z-score of `x` against `history`: (x − median) / (1.4826 · MAD), with the scale
/// floored at 1 so a perfectly flat history does not make every tiny rise infinite.
pub fn robust_z(x: f64, history: &[f64]) -> (f64, f64, f64) {
    let (m, mad) = median_mad(history);
    let scale = (1.4826 * mad).max(1.0);
    ((x - m) / scale, m, mad)
}

/// Daily counts of one entity, kept for a trailing window (ring of the last `cap` days).
#[derive(Clone, Debug, Default)]
pub struct DailyCounts {
    /// (day, count), ascending days, only days with activity.
    days: VecDeque<(i64, u64)>,
    pub first_day: Option<i64>,
}

impl DailyCounts {
    pub fn add(&mut self, day: i64, n: u64, keep_days: i64) {
        if self.first_day.is_none() {
            self.first_day = Some(day);
        }
        match self.days.back_mut() {
            Some((d, c)) if *d == day => *c += n,
            _ => self.days.push_back((day, n)),
        }
        while let Some((d, _)) = self.days.front() {
            if day - *d > keep_days {
                self.days.pop_front();
            } else {
                break;
            }
        }
    }

    pub fn today(&self, day: i64) -> u64 {
        match self.days.back() {
            Some((d, c)) if *d == day => *c,
            _ => 0,
        }
    }

    /// Counts of the `window` days before `day`, zero-filled, starting no earlier than the
    /// entity's first day.
    pub fn trailing(&self, day: i64, window: i64) -> Vec<f64> {
        let first = match self.first_day {
            Some(f) => f,
            None => return Vec::new(),
        };
        let start = (day - window).max(first);
        let mut out = Vec::with_capacity((day - start).max(0) as usize);
        let mut it = self.days.iter().peekable();
        for d in start..day {
            while let Some((dd, _)) = it.peek() {
                if *dd < d {
                    it.next();
                } else {
                    break;
                }
            }
            match it.peek() {
                Some((dd, c)) if *dd == d => out.push(*c as f64),
                _ => out.push(0.0),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_ids_are_the_interned_ids_of_every_event() {
        use crate::detect::testkit::{ev, EventBuilder};
        let mut events = Vec::new();
        for k in 0..60i64 {
            let mut e = ev("2024-05-01T00:00:00Z")
                .secs(k)
                .vault(["kv-a", "kv-b", "KV-A"][k as usize % 3])
                .op(["SecretGet", "SecretList", "VaultGet", "KeySign"][k as usize % 4]);
            e = match k % 5 {
                0 => e.user(&format!("u{}@x.com", k % 7)),
                1 => e.oid(&format!("oid-{}", k % 4)).app("app-1"),
                2 => e.service(&format!("svc-{}", k % 3)),
                3 => e.app(&format!("app-{}", k % 2)),
                _ => e,
            };
            if k % 3 != 0 {
                e = e.obj(&format!("secret-{}", k % 6));
            }
            events.push(e);
        }
        let store = crate::store::EventStore::from_events(&events);
        let (mut plain, mut cached) = (Interner::default(), Interner::default());
        let mut ids = StoreIds::new(&store);
        for e in store.rows() {
            assert_eq!(ids.of(&mut cached, e), EvIds::of(&mut plain, e));
        }
        assert_eq!(plain.names, cached.names, "the same ids in the same order");
    }

    #[test]
    fn median_and_mad() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let (m, mad) = median_mad(&[1.0, 1.0, 2.0, 2.0, 4.0, 6.0, 9.0]);
        assert_eq!(m, 2.0);
        assert_eq!(mad, 1.0);
        let (z, _, _) = robust_z(100.0, &[10.0; 14]);
        assert_eq!(z, 90.0, "flat history: scale floored at 1");
    }

    #[test]
    fn sliding_distinct_expires() {
        let mut s = SlidingDistinct::new(10);
        s.push(0, "a", 0);
        s.push(5, "b", 1);
        s.push(6, "a", 2);
        assert_eq!(s.distinct(), 2);
        assert_eq!(s.latest_events(), vec![1, 2]);
        s.push(12, "c", 3); // drops t=0 "a", keeps t=6 "a"
        assert_eq!(s.distinct(), 3);
        s.push(17, "c", 4); // drops b (5) and a (6)
        assert_eq!(s.distinct(), 1);
        assert_eq!(s.total(), 2);
        assert_eq!(s.latest_events(), vec![4]);
    }

    #[test]
    fn lagged_max_only_counts_previous_days() {
        let mut m = LaggedMax::default();
        m.observe(1, 3);
        assert_eq!(m.before(1), 0);
        m.observe(1, 5);
        assert_eq!(m.before(2), 5);
        m.observe(2, 9);
        assert_eq!(m.before(2), 5);
        assert_eq!(m.before(3), 9);
    }

    #[test]
    fn trailing_counts_zero_fill() {
        let mut d = DailyCounts::default();
        d.add(10, 5, 30);
        d.add(12, 7, 30);
        d.add(12, 1, 30);
        assert_eq!(d.trailing(14, 14), vec![5.0, 0.0, 8.0, 0.0]);
        assert_eq!(d.today(12), 8);
        assert_eq!(d.trailing(10, 14), Vec::<f64>::new());
    }

    #[test]
    fn dayset_counts_days_before() {
        let mut s = DaySet::new(5);
        s.see(5);
        s.see(7);
        assert_eq!(s.days, 2);
        assert_eq!(s.days_before(7), 1);
        assert_eq!(s.days_before(8), 2);
    }
}
