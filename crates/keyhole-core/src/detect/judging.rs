//! The judging basis shared by the relative rules (spec §3, issue 11): how an event is judged on
//! this drop, and the words and confidence every finding states.
//!
//! A vault whose data covers more than `learning_days` UTC days is judged as the spec's main
//! text says: its first `learning_days` days only build the baseline, after that every event is
//! judged against the history before it ([`Mode::Rolling`]). A vault with less data is still
//! judged, with what the drop has:
//! - **in-drop learning** ([`Mode::InDrop`]): the first part of the vault's own data
//!   (`in_drop_fraction`, default a third, at least `in_drop_min_hours`, default 12 h) only
//!   builds the baseline; after it every event is judged against everything before it, rolling;
//! - **peers** ([`Peers`]): a principal's measure (distinct objects, operations a day, vaults in
//!   24 h) against the same measure of the other principals of its kind: a user against the
//!   other users of the vault (of the tenant for measures across vaults), an application against
//!   the same application on other vaults. Robust statistics: it is an outlier when it exceeds
//!   every peer, reaches the rule's factor × the peers' median, and its robust z (median/MAD,
//!   scale floored at 1) reaches `peer_z`; at least `peer_min` peers are needed;
//! - **absolute thresholds** that need no history (Sentinel's mass retrieval, a List then reads
//!   of never-read secrets, intel lists, configuration transitions): they fire on any drop; when
//!   a relative condition of the rule cannot be evaluated the finding's basis says which one was
//!   dropped, and a verdict that rests on an absolute threshold alone where the rule is relative
//!   by design is reported as informational (a config loader's first run looks like a dump).
//!
//! Confidence: [`Confidence::High`] for the rolling history and for conditions that need none;
//! [`Confidence::Medium`] for in-drop learning from at least 24 h or at least 5 peers;
//! [`Confidence::Low`] below that.

use super::baseline::{median_mad, FxMap, FxSet, Id, Interner, SlidingDistinct};
use super::{Confidence, DetectConfig, Finding};
use crate::store::{EventRef, EventStore};
use crate::time::{MICROS_PER_DAY, MICROS_PER_HOUR};

/// First and last event time (microseconds) of a vault or of the whole drop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub first: i64,
    pub last: i64,
}

impl Span {
    /// UTC days the span touches.
    pub fn days(&self) -> i64 {
        self.last.div_euclid(MICROS_PER_DAY) - self.first.div_euclid(MICROS_PER_DAY) + 1
    }

    /// True when the span has data after a `learning_days` learning period (the rolling mode).
    pub fn long(&self, learning_days: u32) -> bool {
        self.days() > learning_days as i64
    }

    /// The end of the learning part: `learning_days` UTC days for a long span, else the first
    /// `fraction` of the span, at least `min_hours`.
    pub fn learn_until(&self, cfg: &DetectConfig) -> i64 {
        if self.long(cfg.learning_days) {
            (self.first.div_euclid(MICROS_PER_DAY) + cfg.learning_days as i64) * MICROS_PER_DAY
        } else {
            let part = ((self.last - self.first) as f64 * cfg.in_drop_fraction) as i64;
            self.first + part.max(cfg.in_drop_min_hours as i64 * MICROS_PER_HOUR)
        }
    }
}

/// How an event is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// In the learning part (the first `learning_days` days of a long vault, the first third of
    /// a short one): only builds the baseline.
    Learning,
    /// A long vault after its learning period: rolling history.
    Rolling,
    /// A short vault after its in-drop learning part: rolling history learned from the drop.
    InDrop,
}

/// The time frame of the drop, known before the pass: every vault's span and the drop's.
#[derive(Default)]
pub struct Frame {
    pub vaults: FxMap<Id, Span>,
    pub drop: Option<Span>,
}

impl Frame {
    /// One pass over the (time-sorted) events: the span of every vault, ids from `interner`.
    pub fn build(events: &EventStore, interner: &mut Interner) -> Frame {
        let mut vaults: FxMap<Id, Span> = FxMap::default();
        // columns: the vault's name is interned once per dictionary entry, in row order
        let (times, vids, res) = (events.times(), events.vault_ids(), events.resources());
        let mut ids: Vec<Option<Id>> = vec![None; res.len()];
        for (i, &t) in times.iter().enumerate() {
            let r = vids.get(i) as usize;
            let v = *ids[r].get_or_insert_with(|| interner.id(&res[r].vault));
            vaults
                .entry(v)
                .and_modify(|s| {
                    s.first = s.first.min(t);
                    s.last = s.last.max(t);
                })
                .or_insert(Span { first: t, last: t });
        }
        let drop = match (times.first(), times.last()) {
            (Some(&a), Some(&b)) => Some(Span {
                first: a.min(b),
                last: a.max(b),
            }),
            _ => None,
        };
        Frame { vaults, drop }
    }

    pub fn vault(&self, vault: Id) -> Option<Span> {
        self.vaults.get(&vault).copied()
    }

    /// How an event at `t` on `span` is judged.
    pub fn mode(span: Option<Span>, t: i64, cfg: &DetectConfig) -> Mode {
        let Some(s) = span else {
            return Mode::Learning;
        };
        if t < s.learn_until(cfg) {
            Mode::Learning
        } else if s.long(cfg.learning_days) {
            Mode::Rolling
        } else {
            Mode::InDrop
        }
    }
}

/// "24 h", "2 d 8 h": a duration in whole hours.
pub fn hours_text(micros: i64) -> String {
    let h = (micros.max(0) + MICROS_PER_HOUR / 2) / MICROS_PER_HOUR;
    if h < 48 {
        format!("{h} h")
    } else if h % 24 == 0 {
        format!("{} d", h / 24)
    } else {
        format!("{} d {} h", h / 24, h % 24)
    }
}

/// The basis of a verdict learned from the drop's own earlier part of `span` (named `what`):
/// "learned from the first 24 h of kv-x's 3 days in this drop".
pub fn in_drop_basis(span: Span, what: &str, cfg: &DetectConfig) -> (String, Confidence) {
    let learned = span.learn_until(cfg) - span.first;
    (
        format!(
            "learned from the first {} of {}'s {} in this drop (shorter than the {}-day learning period), then rolling",
            hours_text(learned),
            what,
            hours_text(span.last - span.first),
            cfg.learning_days
        ),
        if learned >= MICROS_PER_DAY {
            Confidence::Medium
        } else {
            Confidence::Low
        },
    )
}

/// Who a principal's peers are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerScope {
    /// The other users of the vault for a user; the same application on other vaults for an
    /// application.
    Vault,
    /// The other principals of the same kind in the drop (measures across vaults, recorded
    /// under [`TENANT`]).
    Tenant,
}

/// Sentinel's mass retrieval as a flag on a principal of a short vault: more than
/// `mass_objects` distinct objects and more than `mass_reads` reads within 24 h, at any time of
/// the drop. A principal so flagged is another intruder, not a peer (see [`flagged`]).
#[derive(Default)]
pub struct MassFlag {
    recent: Option<SlidingDistinct<Id>>,
    pub reached: bool,
}

impl MassFlag {
    /// A read of `object` (event `idx`) at `t`.
    pub fn read(&mut self, t: i64, object: Id, idx: usize, cfg: &DetectConfig) {
        let w = self
            .recent
            .get_or_insert_with(|| SlidingDistinct::new(MICROS_PER_DAY));
        w.push(t, object, idx);
        self.reached |= w.distinct() > cfg.mass_objects && w.total() as u64 > cfg.mass_reads;
    }
}

/// The principals left out of a peer comparison: those the rule's own judging flagged, and
/// those whose reads reached a mass retrieval on any vault (`mass`: per (vault, principal)).
pub fn flagged<'a>(
    own: impl Iterator<Item = Id>,
    mass: impl Iterator<Item = (&'a (Id, Id), &'a MassFlag)>,
) -> FxSet<Id> {
    own.chain(mass.filter(|(_, m)| m.reached).map(|(k, _)| k.1))
        .collect()
}

/// The pseudo-vault id under which measures across vaults are recorded in [`Peers`].
pub const TENANT: Id = Id::MAX;

/// The largest value of one measure per (vault, principal) over the whole drop, with the
/// principal's kind, for comparing a principal with its peers once the pass is over.
#[derive(Default)]
pub struct Peers {
    by_vault: FxMap<Id, FxMap<Id, (bool, u64)>>,
    by_principal: FxMap<Id, FxMap<Id, u64>>,
    /// Principals left out of the comparison (see [`flagged`]) per vault, with their kind: the
    /// verdict's group says how many.
    left_out: FxMap<Id, FxMap<Id, bool>>,
}

/// What the peers say about a value.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerVerdict {
    /// Number of peers.
    pub n: usize,
    pub median: f64,
    pub mad: f64,
    pub max: u64,
    pub z: f64,
    /// ≥ `factor.1` × every peer (and above them), ≥ `factor.0` × their median, and robust z
    /// ≥ `peer_z`.
    pub outlier: bool,
    /// "6 other users of kv-x", "the same application on 3 other vaults".
    pub group: String,
    /// Principals of that group left out because they were [`flagged`], and their kind.
    pub left_out: (usize, &'static str),
}

impl PeerVerdict {
    /// The finding's basis: "compared with 6 other users of kv-x (at most 5, median 3 distinct
    /// objects in 24 h)", with ", not counting 1 flagged user" when one was left out.
    pub fn basis(&self, measure: &str) -> (String, Confidence) {
        let not_counting = match self.left_out {
            (0, _) => String::new(),
            (n, kind) => format!(
                ", not counting {n} flagged {kind}{}",
                if n == 1 { "" } else { "s" }
            ),
        };
        (
            format!(
                "compared with {}{not_counting} (at most {}, median {} {})",
                self.group,
                self.max,
                trim_float(self.median),
                measure
            ),
            if self.n >= 5 {
                Confidence::Medium
            } else {
                Confidence::Low
            },
        )
    }
}

fn trim_float(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

impl Peers {
    /// Record `value` of `principal` (a user when `user`) on `vault`: its maximum is kept.
    pub fn observe(&mut self, vault: Id, principal: Id, user: bool, value: u64) {
        let e = self
            .by_vault
            .entry(vault)
            .or_default()
            .entry(principal)
            .or_insert((user, 0));
        e.1 = e.1.max(value);
        if !user && vault != TENANT {
            let m = self
                .by_principal
                .entry(principal)
                .or_default()
                .entry(vault)
                .or_insert(0);
            *m = (*m).max(value);
        }
    }

    /// `principal` (a user when `user`) of `vault` is not a peer (it was [`flagged`]): it is
    /// not compared with, and the verdict's group says so.
    pub fn leave_out(&mut self, vault: Id, principal: Id, user: bool) {
        self.left_out
            .entry(vault)
            .or_default()
            .insert(principal, user);
    }

    /// How many principals of the kind (`user`) other than `principal` were left out on `vault`
    /// (every vault but [`TENANT`] when `None`).
    fn left_out_count(&self, vault: Option<Id>, principal: Id, user: bool) -> usize {
        let mut seen: FxSet<Id> = FxSet::default();
        for (v, m) in &self.left_out {
            if vault.map_or(*v == TENANT, |x| x != *v) {
                continue;
            }
            seen.extend(
                m.iter()
                    .filter(|(p, u)| **p != principal && **u == user)
                    .map(|(p, _)| *p),
            );
        }
        seen.len()
    }

    /// The maximum recorded for (vault, principal).
    pub fn max_of(&self, vault: Id, principal: Id) -> u64 {
        self.by_vault
            .get(&vault)
            .and_then(|m| m.get(&principal))
            .map_or(0, |e| e.1)
    }

    /// Compare `value` of `principal` with its peers: users with the other users of the vault
    /// (of the tenant for [`PeerScope::Tenant`]), applications with the same application on
    /// other vaults. `factor` = (× the peers' median, × the largest peer). `None` when there
    /// are fewer than `cfg.peer_min` peers.
    #[allow(clippy::too_many_arguments)]
    pub fn judge(
        &self,
        scope: PeerScope,
        (vault, vault_name): (Id, &str),
        principal: Id,
        user: bool,
        value: u64,
        factor: (f64, f64),
        cfg: &DetectConfig,
    ) -> Option<PeerVerdict> {
        let mut vals: Vec<f64> = Vec::new();
        let mut left_out = 0;
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let group = match (scope, user) {
            (PeerScope::Tenant, _) => {
                if let Some(m) = self.by_vault.get(&vault) {
                    vals.extend(
                        m.iter()
                            .filter(|(p, (u, _))| **p != principal && *u == user)
                            .map(|(_, (_, x))| *x as f64),
                    );
                }
                left_out = self.left_out_count(Some(vault), principal, user);
                format!(
                    "{} other {}{} of the drop",
                    vals.len(),
                    if user { "user" } else { "application" },
                    plural(vals.len())
                )
            }
            (PeerScope::Vault, false) => {
                // An application against the same application elsewhere.
                if let Some(m) = self.by_principal.get(&principal) {
                    vals.extend(
                        m.iter()
                            .filter(|(v, _)| **v != vault)
                            .map(|(_, x)| *x as f64),
                    );
                }
                format!(
                    "the same application on {} other vault{}",
                    vals.len(),
                    plural(vals.len())
                )
            }
            (PeerScope::Vault, true) => {
                if let Some(m) = self.by_vault.get(&vault) {
                    vals.extend(
                        m.iter()
                            .filter(|(p, (u, _))| **p != principal && *u)
                            .map(|(_, (_, x))| *x as f64),
                    );
                }
                if vals.len() >= cfg.peer_alert_min {
                    left_out = self.left_out_count(Some(vault), principal, true);
                    format!(
                        "{} other user{} of {}",
                        vals.len(),
                        plural(vals.len()),
                        vault_name
                    )
                } else {
                    // Too few users on the vault to rest a verdict on (a small team, a weekend
                    // day): the drop's other users, each with its largest value on any vault.
                    let mut per: FxMap<Id, u64> = FxMap::default();
                    for (v, m) in &self.by_vault {
                        if *v == TENANT {
                            continue;
                        }
                        for (p, (u, x)) in m {
                            if *p != principal && *u {
                                let e = per.entry(*p).or_insert(0);
                                *e = (*e).max(*x);
                            }
                        }
                    }
                    vals = per.values().map(|x| *x as f64).collect();
                    left_out = self.left_out_count(None, principal, true);
                    format!(
                        "{} other user{} of the drop (fewer than {} on {})",
                        vals.len(),
                        plural(vals.len()),
                        cfg.peer_alert_min,
                        vault_name
                    )
                }
            }
        };
        if vals.len() < cfg.peer_min {
            return None;
        }
        let (median, mad) = median_mad(&vals);
        let max = vals.iter().copied().fold(0.0, f64::max) as u64;
        let z = (value as f64 - median) / (1.4826 * mad).max(1.0);
        Some(PeerVerdict {
            n: vals.len(),
            median,
            mad,
            max,
            z,
            left_out: (left_out, if user { "user" } else { "application" }),
            outlier: value > max
                && value as f64 >= factor.1 * max as f64
                && value as f64 >= factor.0 * median
                && z >= cfg.peer_z,
            group,
        })
    }
}

/// Findings of a short drop that wait for the end of the pass (when every peer's measure is
/// known), grouped per key and time window like [`super::Groups`]; `M` is what the rule needs
/// to judge them.
pub struct Pending<K: std::hash::Hash + Eq, M> {
    pub findings: Vec<Finding>,
    pub meta: Vec<M>,
    groups: super::Groups<K>,
}

impl<K: std::hash::Hash + Eq, M> Pending<K, M> {
    pub fn new(window_micros: i64) -> Self {
        Pending {
            findings: Vec::new(),
            meta: Vec::new(),
            groups: super::Groups::new(window_micros),
        }
    }

    /// Extend the open pending finding of `key` with `ev`, or open one with `make`. Returns its
    /// index and whether it is new.
    pub fn hit(
        &mut self,
        key: K,
        ev: EventRef<'_>,
        idx: usize,
        make: impl FnOnce() -> (Finding, M),
    ) -> (usize, bool) {
        let mut meta = None;
        let r = self.groups.hit(&mut self.findings, key, ev, idx, || {
            let (f, m) = make();
            meta = Some(m);
            f
        });
        if let Some(m) = meta {
            self.meta.push(m);
        }
        r
    }

    /// The grouping, the findings and their data, for rules that group their own way.
    pub fn parts(&mut self) -> (&mut super::Groups<K>, &mut Vec<Finding>, &mut Vec<M>) {
        (&mut self.groups, &mut self.findings, &mut self.meta)
    }

    /// Take every pending finding with its data.
    pub fn drain(&mut self) -> impl Iterator<Item = (Finding, M)> + '_ {
        self.findings.drain(..).zip(self.meta.drain(..))
    }
}

/// A relative condition judged against the principal's own earlier part of the drop.
#[derive(Clone, Debug, PartialEq)]
pub struct OwnHistory {
    /// The condition holds (the value is unusual for the principal).
    pub exceeded: bool,
    pub basis: String,
    pub confidence: Confidence,
}

impl OwnHistory {
    /// The principal's maximum on its earlier days in the drop (`None` without one); medium
    /// confidence from two days.
    pub fn earlier_max(days: u32, max: u64, exceeded: bool) -> Option<OwnHistory> {
        earlier_max(days, max).map(|basis| OwnHistory {
            exceeded,
            basis,
            confidence: if days >= 2 {
                Confidence::Medium
            } else {
                Confidence::Low
            },
        })
    }
}

/// The verdict on a short drop, where a rule's relative condition is judged with what the drop
/// has: the principal's own earlier part, its peers, or nothing.
#[derive(Clone, Debug, PartialEq)]
pub enum ShortVerdict {
    /// Usual for the principal or its peers.
    Quiet,
    /// Unusual against every basis available: the rule's severity.
    Relative {
        basis: String,
        confidence: Confidence,
    },
    /// Neither the principal's own history nor enough peers: the absolute threshold alone.
    /// Reported as informational; the basis names the dropped condition.
    AbsoluteOnly { basis: String },
}

impl ShortVerdict {
    /// Combine the available bases: quiet when any says usual; relative when at least one says
    /// unusual (peers alone must number `peer_alert_min`); absolute-only otherwise. `absolute` names the absolute threshold
    /// that held, `dropped` the relative condition, `measure` the peers' unit.
    pub fn of(
        own: Option<OwnHistory>,
        peers: Option<&PeerVerdict>,
        (absolute, dropped, measure): (&str, &str, &str),
        cfg: &DetectConfig,
    ) -> ShortVerdict {
        if own.as_ref().is_some_and(|o| !o.exceeded) || peers.is_some_and(|p| !p.outlier) {
            return ShortVerdict::Quiet;
        }
        // Peers alone, and few of them: a comparison too thin to alert on.
        if let (None, Some(p)) = (&own, peers) {
            if p.n < cfg.peer_alert_min {
                return ShortVerdict::AbsoluteOnly {
                    basis: format!(
                        "{absolute}; {}; dropped: {dropped} (no earlier day of the principal in this drop, fewer than {} peers to rest on them alone)",
                        p.basis(measure).0,
                        cfg.peer_alert_min
                    ),
                };
            }
        }
        let mut parts = vec![absolute.to_string()];
        let mut conf: Option<Confidence> = None;
        if let Some(o) = &own {
            parts.push(o.basis.clone());
            conf = Some(o.confidence);
        }
        if let Some(p) = peers {
            let (b, c) = p.basis(measure);
            parts.push(b);
            conf = Some(conf.map_or(c, |x| x.max(c)));
        }
        match conf {
            Some(confidence) => ShortVerdict::Relative {
                basis: parts.join("; "),
                confidence,
            },
            None => ShortVerdict::AbsoluteOnly {
                basis: format!(
                    "{absolute}; dropped: {dropped} (no earlier day of the principal in this drop, fewer than {} peers)",
                    cfg.peer_min
                ),
            },
        }
    }
}

impl ShortVerdict {
    /// Apply the verdict to a pending finding whose reason so far is `reason`: `None` when
    /// quiet; relative: the basis, and `context` (what the verdict compared with) added to the
    /// reason; absolute-only: informational, low confidence, `absolute_note` added to the reason.
    pub fn apply(
        self,
        mut f: Finding,
        mut reason: String,
        context: &[String],
        absolute_note: &str,
    ) -> Option<Finding> {
        match self {
            ShortVerdict::Quiet => return None,
            ShortVerdict::Relative { basis, confidence } => {
                for c in context {
                    reason.push_str("; ");
                    reason.push_str(c);
                }
                f = f.with_basis(basis, confidence);
            }
            ShortVerdict::AbsoluteOnly { basis } => {
                reason.push_str(absolute_note);
                f = f.with_basis(basis, Confidence::Low);
                f.severity = super::Severity::Informational;
            }
        }
        f.reason = reason;
        Some(f)
    }
}

/// "its maximum on its 2 earlier days in this drop was 3" (`None` without an earlier day).
pub fn earlier_max(days: u32, max: u64) -> Option<String> {
    (days > 0).then(|| {
        format!(
            "its maximum on its {days} earlier day{} in this drop was {max}",
            if days == 1 { "" } else { "s" }
        )
    })
}

impl PeerVerdict {
    /// "5 other users of kv-x read at most 3 (median 2)".
    pub fn phrase(&self, verb: &str) -> String {
        format!(
            "{} {verb} at most {} (median {})",
            self.group,
            self.max,
            trim_float(self.median)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> DetectConfig {
        DetectConfig::default()
    }

    #[test]
    fn short_spans_learn_a_third_at_least_twelve_hours() {
        let c = cfg();
        let h = MICROS_PER_HOUR;
        let day = MICROS_PER_DAY;
        let s = Span {
            first: 100 * day,
            last: 103 * day - 1,
        };
        assert!(!s.long(7));
        assert_eq!(s.learn_until(&c), 100 * day + (3 * day - 1) / 3);
        let s1 = Span {
            first: 100 * day,
            last: 101 * day - 1,
        };
        assert_eq!(s1.learn_until(&c), 100 * day + 12 * h, "at least 12 h");
        let long = Span {
            first: 100 * day + 5 * h,
            last: 110 * day,
        };
        assert!(long.long(7));
        assert_eq!(long.learn_until(&c), 107 * day, "the first 7 UTC days");
        assert_eq!(Frame::mode(Some(long), 108 * day, &c), Mode::Rolling);
        assert_eq!(Frame::mode(Some(s), 102 * day, &c), Mode::InDrop);
        assert_eq!(Frame::mode(Some(s), 100 * day + h, &c), Mode::Learning);
        assert_eq!(hours_text(24 * h), "24 h");
        assert_eq!(hours_text(56 * h), "2 d 8 h");
    }

    #[test]
    fn peers_are_users_of_the_vault_or_the_same_app_elsewhere() {
        let c = cfg();
        let mut p = Peers::default();
        for (u, x) in [(1, 3), (2, 2), (3, 5), (4, 3), (6, 1)] {
            p.observe(10, u, true, x);
        }
        p.observe(10, 9, false, 40); // an app on the vault is not a user's peer
        p.observe(10, 5, true, 16);
        let judge = |p: &Peers, v: (Id, &str), who: Id, user: bool, x: u64, f: (f64, f64)| {
            p.judge(PeerScope::Vault, v, who, user, x, f, &c)
        };
        let v = judge(&p, (10, "kv"), 5, true, 16, (3.0, 1.0)).unwrap();
        assert_eq!((v.n, v.max, v.median), (5, 5, 3.0));
        assert!(v.outlier);
        assert_eq!(
            v.basis("distinct objects in 24 h"),
            (
                "compared with 5 other users of kv (at most 5, median 3 distinct objects in 24 h)"
                    .to_string(),
                Confidence::Medium
            )
        );
        let v = judge(&p, (10, "kv"), 3, true, 5, (3.0, 1.0)).unwrap();
        assert!(!v.outlier, "not above every peer");
        let v = judge(&p, (10, "kv"), 5, true, 16, (3.0, 4.0)).unwrap();
        assert!(!v.outlier, "16 < 4 x the largest peer");
        // Fewer than 5 users on a vault: the drop's other users (their largest value anywhere).
        p.observe(20, 7, true, 16);
        p.observe(20, 8, true, 2);
        let v = judge(&p, (20, "kv2"), 7, true, 16, (3.0, 1.0)).unwrap();
        assert_eq!(v.group, "7 other users of the drop (fewer than 5 on kv2)");
        assert_eq!(v.max, 16, "user 5's 16 on kv");
        assert!(!v.outlier);
        assert!(
            judge(&p, (10, "kv"), 9, false, 40, (3.0, 1.0)).is_none(),
            "the app runs on no other vault"
        );
        p.observe(11, 9, false, 40);
        p.observe(12, 9, false, 38);
        p.observe(13, 9, false, 41);
        let v = p
            .judge(PeerScope::Vault, (10, "kv"), 9, false, 40, (3.0, 1.0), &c)
            .unwrap();
        assert_eq!(v.group, "the same application on 3 other vaults");
        assert!(!v.outlier);
    }

    #[test]
    fn the_basis_counts_the_flagged_principals_left_out() {
        let c = cfg();
        let mut p = Peers::default();
        for (u, x) in [(1, 3), (2, 2), (3, 5), (4, 3), (6, 1)] {
            p.observe(10, u, true, x);
        }
        p.leave_out(10, 7, true); // another intruder
        p.leave_out(10, 5, true); // the judged principal itself is not a peer anyway
        p.leave_out(10, 8, false); // an application is not a user's peer
        p.leave_out(20, 9, true); // a user of another vault
        let v = p
            .judge(PeerScope::Vault, (10, "kv"), 5, true, 16, (3.0, 1.0), &c)
            .unwrap();
        assert_eq!(v.n, 5);
        assert_eq!(
            v.basis("distinct objects in 24 h").0,
            "compared with 5 other users of kv, not counting 1 flagged user (at most 5, median 3 distinct objects in 24 h)"
        );
        // the drop's users (fewer than 5 on the vault): every vault's left-out users count
        p.observe(20, 11, true, 4);
        let v = p
            .judge(PeerScope::Vault, (20, "kv2"), 11, true, 4, (3.0, 1.0), &c)
            .unwrap();
        assert!(
            v.group.starts_with("5 other users of the drop"),
            "{}",
            v.group
        );
        assert!(
            v.basis("x").0.contains(", not counting 3 flagged users ("),
            "{}",
            v.basis("x").0
        );
    }
}
