//! KV_UserAnomaly — a user succeeds in a data-plane operation on a vault where it never did one.
//!
//! Why: a user account reading secrets, keys or certificates of a vault for the first time is
//! how a compromised account or an insider shows up. Management-plane reads (VaultGet from the
//! portal) are not access to the vault's contents and never count. Judged after the vault's
//! learning period (7 days), against everything before the event. MITRE: Collection,
//! Credential Access. Grouping: (vault, user) per 24 h. Origin: Defender, seed hunting
//! query "new user vs 30 d".
//!
//! On a vault with less data than the learning period a user is judged on the whole drop (see
//! `Stranger`): medium when the user worked on one other vault only on >= `stranger_min_days`
//! (3) earlier UTC days of the drop (>= `stranger_min_ops`, 5, data-plane successes), never on
//! this one, and reads >= `stranger_min_reads` (3) distinct objects here within its first hour;
//! informational when it was only seen elsewhere before (a user on its second vault, an
//! administrator's sweep that lists and reads nothing). A user with fewer earlier days is
//! judged the same way on its other days, before and after (leave-one-out): medium when on >=
//! `stranger_around_min_days` (3) other UTC days it worked on one other vault only (>= 5
//! data-plane successes there), never came back to this one after the first 24 h, and read >= 3
//! distinct objects here within its first hour. Three, not two, either way: a user who visits
//! its second vault every other day, or twice a week, shows the same two other days. Two
//! earlier days were enough on the scenario suite's two tenants, and alerted on five benign
//! users of three held-out generated tenants (seeds 99, 2026, 31337: a visit to the second vault
//! on the third day of a window). A drop of three days or less shows no working pattern around
//! a visit: never above informational.

use super::{is_user, object_phrase};
use crate::detect::baseline::{FxMap, FxSet, Id};
use crate::detect::judging::{hours_text, Mode, Pending, Span};
use crate::detect::{
    new_finding, who, Confidence, Cx, DetectConfig, Finding, Groups, Rule, RuleInfo, Severity,
};
use crate::event::{Op, Verb};
use crate::store::EventRef;
use crate::time::{MICROS_PER_DAY, MICROS_PER_HOUR};
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_UserAnomaly",
    title: "Unusual user accessed a key vault",
    severity: Severity::Medium,
    tactics: &["CredentialAccess", "Collection"],
    origin: "Defender, seed hunting \"new user vs 30 d\"",
    doc: "A user's first successful data-plane operation (secret, key, certificate) on a vault, after the vault's 7-day learning period. One finding per vault and user per 24 h.",
    needs_baseline: true,
    basis: "the vault's history before the event, after its learning period",
    short_drop: "users on the whole drop: medium for a user that worked on one other vault only on >= 3 earlier days (>= 5 operations), never here, and reads >= 3 distinct objects here in its first hour, or on >= 3 other days before and after it (leave-one-out) and never came back here; else informational when seen elsewhere before; applications learned from the vault's first third (at least 12 h), informational unless they enumerated the vault",
};

/// Shared by KV_UserAnomaly and KV_AppAnomaly: first data-plane success of a principal on a vault.
///
/// On a vault with less data than the learning period the vault's first third (at least 12 h)
/// is learned and a principal's first data-plane success after it is reported, but a short drop
/// cannot tell a principal that works on the vault once a week (or not at weekends) from an
/// intruder: the finding is informational, unless an application enumerated the vault (a List
/// of secrets, keys or certificates in its first 24 h there): a deployed workload reads the
/// names in its configuration, a stolen credential lists them first. A new deployment that
/// starts reading its secrets on day 2 of a drop is therefore informational ("first seen in
/// this drop"), not an alert. A user is only reported when it was already seen elsewhere in the
/// drop (a user's first activity of the drop is its day starting, not a move to another vault).
pub struct Novelty {
    users: bool,
    known: FxSet<(Id, Id)>,
    groups: Groups<(Id, Id)>,
    /// Findings on short vaults (index in `out`) and whether the principal listed there.
    short: Vec<(usize, bool)>,
    short_open: FxMap<(Id, Id), usize>,
    /// Applications first seen in the learned part of a short vault, judged on the whole drop
    /// at the end of the pass (see [`Burst`]).
    learned: Vec<Burst>,
    learned_open: FxMap<(Id, Id), usize>,
    /// Users on short vaults: their first data-plane success on each, judged at the end of the
    /// pass (see [`Stranger`]), and what every user did before it.
    strangers: Pending<(Id, Id), Stranger>,
    activity: FxMap<Id, Activity>,
}

/// A user's data-plane successes so far in the drop (any vault).
#[derive(Default)]
struct Activity {
    ops: u64,
    /// Distinct UTC days, in time order.
    days: Vec<i64>,
    /// Per vault (short vaults only, so its keys are the vaults): successes, distinct UTC days
    /// in time order, the last one.
    work: FxMap<Id, Work>,
}

#[derive(Default)]
struct Work {
    ops: u64,
    days: Vec<i64>,
    last: i64,
}

/// A user's first data-plane success on a short vault, judged on the whole drop: a user
/// already active in the drop on `min_days` earlier days with `min_ops` data-plane successes on
/// other vaults and never on this one, that reads here the values of `min_reads` distinct
/// objects within its first hour, is reported at the rule's severity. A user's regular vaults
/// get their share of its work every working day; an account that suddenly reads several
/// secrets of a vault it never touched over days of work elsewhere is how a stolen session
/// moves.
struct Stranger {
    vault: Id,
    user: Id,
    first: i64,
    mode: Mode,
    /// Seen anywhere in the drop before (the in-drop informational finding needs it).
    known_elsewhere: bool,
    earlier_days: u32,
    ops_elsewhere: u64,
    vaults_elsewhere: usize,
    reads: FxSet<Id>,
}

/// An application first seen on a short vault inside the part that in-drop learning only
/// learns from: nothing before it to judge it against, so it is judged on the whole drop
/// (leave-one-out). A workload that runs on the vault shows up again and again; an application
/// whose only activity in the drop is one burst of at most an hour that enumerated the vault (a
/// List) and never came back in the 12 h or more of the vault's data after it is reported at
/// the rule's severity.
struct Burst {
    finding: Finding,
    /// Its last data-plane success on the vault, whether it listed in its first hour.
    last: i64,
    listed: bool,
    span: Span,
}

impl Novelty {
    pub fn new(users: bool) -> Self {
        Novelty {
            users,
            known: FxSet::default(),
            groups: Groups::new(MICROS_PER_DAY),
            short: Vec::new(),
            short_open: FxMap::default(),
            learned: Vec::new(),
            learned_open: FxMap::default(),
            strangers: Pending::new(MICROS_PER_DAY),
            activity: FxMap::default(),
        }
    }

    /// Short vaults: the findings of a rule judged in-drop get their final severity; the
    /// applications of the learned part are judged on the whole drop.
    pub fn finish(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        self.finish_strangers(cx, out);
        let min_after = cx.cfg.in_drop_min_hours as i64 * MICROS_PER_HOUR;
        for b in self.learned.drain(..) {
            let mut f = b.finding;
            let burst = b.last - f.first_seen.micros;
            let after = b.span.last - b.last;
            if !b.listed || burst > MICROS_PER_HOUR || after < min_after {
                continue;
            }
            f.reason = format!(
                "{}: its only activity there in this drop, one burst of {} that enumerated the vault (a List), and nothing in the {} of the vault's data after it",
                f.reason,
                super::dur(burst),
                hours_text(after)
            );
            f.basis = format!(
                "judged on the whole drop (leave-one-out): the burst lies in the first {} of {}'s {} that in-drop learning only learns from; a workload of the vault shows up again, this application never did",
                hours_text(b.span.learn_until(cx.cfg) - b.span.first),
                f.vault,
                hours_text(b.span.last - b.span.first)
            );
            f.confidence = if after >= MICROS_PER_DAY {
                Confidence::Medium
            } else {
                Confidence::Low
            };
            out.push(f);
        }
        for &(fi, listed) in &self.short {
            let f = &mut out[fi];
            if listed {
                f.reason.push_str(
                    "; it enumerated the vault (a List) like a credential that does not know the names",
                );
                f.basis
                    .push_str("; corroborated: enumeration by a new principal");
            } else {
                f.severity = Severity::Informational;
                f.confidence = Confidence::Low;
                f.reason.push_str(
                    " (first seen in this drop: a short drop cannot tell a new or occasional principal from an intruder)",
                );
            }
        }
    }

    pub fn judge(
        &mut self,
        info: &'static RuleInfo,
        cx: &Cx,
        idx: usize,
        ev: EventRef<'_>,
        allowed: bool,
        out: &mut Vec<Finding>,
    ) {
        if allowed || !ev.is_success() || !ev.is_data_plane() || is_user(ev) != self.users {
            return;
        }
        let Some(pk) = cx.cur.principal else {
            return;
        };
        if self.users {
            if let Some(span) = cx.vault_span().filter(|s| !s.long(cx.cfg.learning_days)) {
                self.judge_user_short(info, cx, idx, ev, pk, span);
                return;
            }
        }
        let key = (cx.cur.vault, pk);
        if let Some(fi) = self.groups.open_at(out, &key, ev.time()) {
            out[fi].add(ev, idx);
            if !self.users && matches!(ev.op(), Op::Object(_, Verb::List)) {
                if let Some(&si) = self.short_open.get(&key) {
                    if self.short[si].0 == fi {
                        self.short[si].1 = true;
                    }
                }
            }
            return;
        }
        if let Some(&li) = self.learned_open.get(&key) {
            let b = &mut self.learned[li];
            b.last = ev.time().micros;
            // Evidence: the first hour only (a longer presence is no burst).
            if b.last - b.finding.first_seen.micros <= MICROS_PER_HOUR {
                b.finding.add(ev, idx);
                b.listed |= matches!(ev.op(), Op::Object(_, Verb::List));
            }
            return;
        }
        if !self.known.insert(key) {
            return;
        }
        let mode = cx.mode(ev);
        if mode == Mode::Learning {
            if let Some(span) = cx.vault_span().filter(|s| !s.long(cx.cfg.learning_days)) {
                if !self.users {
                    self.learned.push(Burst {
                        finding: new_finding(
                            info,
                            ev,
                            idx,
                            ev.vault(),
                            format!(
                                "application {} performed {}{} on {}",
                                who(ev),
                                ev.operation(),
                                object_phrase(ev),
                                ev.vault()
                            ),
                            json!({"history_days": 0, "operation": ev.operation()}),
                        ),
                        last: ev.time().micros,
                        listed: matches!(ev.op(), Op::Object(_, Verb::List)),
                        span,
                    });
                    self.learned_open.insert(key, self.learned.len() - 1);
                }
            }
            return;
        }
        let days = cx.vault_history_days(ev);
        let kind = if self.users { "user" } else { "application" };
        let history = match (mode, cx.vault_span()) {
            (Mode::InDrop, Some(s)) => format!(
                "in the {} of the vault's data in this drop before it",
                hours_text(ev.time().micros - s.first)
            ),
            _ => format!("in {days} days of the vault's history"),
        };
        let (basis, confidence) = cx.history_basis(ev, "");
        let (fi, _) = self.groups.hit(out, key, ev, idx, || {
            new_finding(
                info,
                ev,
                idx,
                ev.vault(),
                format!(
                    "{} {} performed {}{} on {}: its first successful data-plane operation there {}",
                    kind,
                    who(ev),
                    ev.operation(),
                    object_phrase(ev),
                    ev.vault(),
                    history
                ),
                json!({"history_days": days, "operation": ev.operation()}),
            )
            .with_basis(basis, confidence)
        });
        if mode == Mode::InDrop {
            let listed = !self.users && matches!(ev.op(), Op::Object(_, Verb::List));
            self.short.push((fi, listed));
            self.short_open.insert(key, self.short.len() - 1);
        }
    }
}

impl Novelty {
    /// A user's data-plane success on a short vault: its first one there opens a pending
    /// [`Stranger`]; the hour after it collects the objects it read.
    fn judge_user_short(
        &mut self,
        info: &'static RuleInfo,
        cx: &Cx,
        idx: usize,
        ev: EventRef<'_>,
        pk: Id,
        span: Span,
    ) {
        let t = ev.time().micros;
        let day = ev.time().day();
        let key = (cx.cur.vault, pk);
        let act = self.activity.entry(pk).or_default();
        let before = (
            act.ops,
            act.days.iter().filter(|&&d| d < day).count() as u32,
            act.work.len(),
        );
        act.ops += 1;
        if act.days.last() != Some(&day) {
            act.days.push(day);
        }
        let w = act.work.entry(cx.cur.vault).or_default();
        w.ops += 1;
        w.last = t;
        if w.days.last() != Some(&day) {
            w.days.push(day);
        }
        let read = matches!(ev.op(), Op::Object(_, Verb::Get))
            .then_some(cx.cur.object)
            .flatten();
        let (groups, findings, meta) = self.strangers.parts();
        if let Some(fi) = groups.open_at(findings, &key, ev.time()) {
            findings[fi].add(ev, idx);
            if let Some(o) = read.filter(|_| t - meta[fi].first <= MICROS_PER_HOUR) {
                meta[fi].reads.insert(o);
            }
            return;
        }
        if !self.known.insert(key) {
            return;
        }
        let mode = cx.mode(ev);
        let history = format!(
            "in the {} of the vault's data in this drop before it",
            hours_text(t - span.first)
        );
        let (basis, confidence) = cx.history_basis(ev, "");
        let f = new_finding(
            info,
            ev,
            idx,
            ev.vault(),
            format!(
                "user {} performed {}{} on {}: its first successful data-plane operation there {}",
                who(ev),
                ev.operation(),
                object_phrase(ev),
                ev.vault(),
                history
            ),
            json!({"history_days": cx.vault_history_days(ev), "operation": ev.operation()}),
        )
        .with_basis(basis, confidence);
        let m = Stranger {
            vault: cx.cur.vault,
            user: pk,
            first: t,
            mode,
            known_elsewhere: cx.base.principal_known_for(pk, t) > 0,
            earlier_days: before.1,
            ops_elsewhere: before.0,
            vaults_elsewhere: before.2,
            reads: read.into_iter().collect(),
        };
        self.strangers.hit(key, ev, idx, || (f, m));
    }

    fn finish_strangers(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        let cfg = cx.cfg;
        for (mut f, m) in self.strangers.drain() {
            if let Some(d) = f.details.as_object_mut() {
                d.insert("earlier_days".into(), json!(m.earlier_days));
                d.insert("operations_elsewhere".into(), json!(m.ops_elsewhere));
                d.insert("vaults_elsewhere".into(), json!(m.vaults_elsewhere));
                d.insert("objects_read_first_hour".into(), json!(m.reads.len()));
            }
            let settled = m.earlier_days >= cfg.stranger_min_days
                && m.vaults_elsewhere == 1
                && m.ops_elsewhere >= cfg.stranger_min_ops;
            let around = (!settled)
                .then(|| self.activity.get(&m.user))
                .flatten()
                .and_then(|a| Around::of(a, &m, cfg));
            if let Some(a) = around.filter(|_| m.reads.len() >= cfg.stranger_min_reads) {
                if let Some(d) = f.details.as_object_mut() {
                    d.insert("other_days".into(), json!(a.days));
                    d.insert("operations_on_other_days".into(), json!(a.ops));
                }
                f.reason = format!(
                    "{}; on its {} other days in this drop, before and after, it worked on one other vault only ({} data-plane operations there), never came back here after these 24 h, and within its first hour here it read {} distinct objects",
                    f.reason,
                    a.days,
                    a.ops,
                    m.reads.len()
                );
                f.basis = format!(
                    "judged on the whole drop (leave-one-out): the user's own other days in this drop, before and after (at least {} days and {} operations on a single vault, none on {} after its first 24 h there), then at least {} objects read here in an hour",
                    cfg.stranger_around_min_days,
                    cfg.stranger_min_ops,
                    f.vault,
                    cfg.stranger_min_reads,
                );
                f.confidence = if a.days >= 5 {
                    Confidence::Medium
                } else {
                    Confidence::Low
                };
                out.push(f);
            } else if settled && m.reads.len() >= cfg.stranger_min_reads {
                f.reason = format!(
                    "{}; over its {} earlier days in this drop it worked on one other vault only ({} data-plane operations there) and never here, and within its first hour here it read {} distinct objects",
                    f.reason,
                    m.earlier_days,
                    m.ops_elsewhere,
                    m.reads.len()
                );
                f.basis = format!(
                    "judged on the whole drop: the user's own earlier days in this drop (at least {} days and {} operations on a single vault, none on {}), then at least {} objects read here in an hour; {}",
                    cfg.stranger_min_days,
                    cfg.stranger_min_ops,
                    f.vault,
                    cfg.stranger_min_reads,
                    f.basis
                );
                f.confidence = if m.earlier_days >= 3 {
                    Confidence::Medium
                } else {
                    Confidence::Low
                };
                out.push(f);
            } else if m.mode == Mode::InDrop && m.known_elsewhere {
                f.severity = Severity::Informational;
                f.confidence = Confidence::Low;
                f.reason.push_str(
                    " (first seen in this drop: a short drop cannot tell a new or occasional principal from an intruder)",
                );
                out.push(f);
            }
        }
    }
}

/// A user's work on the days of the drop other than its new vault's first one (leave-one-out):
/// on one other vault only, on at least `stranger_around_min_days` days with at least
/// `stranger_min_ops` successes there, and never on the new vault after its first 24 h. An
/// account's regular vault gets its share of its work every working day, before and after; a
/// stolen session's one visit to a vault is not repeated.
struct Around {
    days: usize,
    ops: u64,
}

impl Around {
    fn of(a: &Activity, m: &Stranger, cfg: &DetectConfig) -> Option<Around> {
        let here = a.work.get(&m.vault)?;
        if here.last >= m.first + MICROS_PER_DAY {
            return None;
        }
        let mut others = a.work.iter().filter(|(v, _)| **v != m.vault);
        let (_, w) = others.next()?;
        if others.next().is_some() {
            return None;
        }
        let day = m.first.div_euclid(MICROS_PER_DAY);
        let days = w.days.iter().filter(|&&d| d != day).count();
        (days >= cfg.stranger_around_min_days as usize && w.ops >= cfg.stranger_min_ops)
            .then_some(Around { days, ops: w.ops })
    }
}

pub struct UserAnomaly(Novelty);

impl Default for UserAnomaly {
    fn default() -> Self {
        UserAnomaly(Novelty::new(true))
    }
}

impl Rule for UserAnomaly {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }
    fn finish(&mut self, cx: &Cx, out: &mut Vec<Finding>) {
        self.0.finish(cx, out);
    }
    fn on_event(
        &mut self,
        cx: &Cx,
        idx: usize,
        ev: EventRef<'_>,
        allowed: bool,
        out: &mut Vec<Finding>,
    ) {
        self.0.judge(&INFO, cx, idx, ev, allowed, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{background, ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;

    #[test]
    fn first_success_counts_learning_period_is_history() {
        let cfg = DetectConfig::default();
        let u = |t: &str| {
            ev(t)
                .vault("kv")
                .user("u@x")
                .op("SecretGet")
                .obj("s")
                .ip("203.0.113.5")
        };
        let mut v = background("kv", 20);
        v.push(u("2026-10-03T09:00:00Z"));
        v.push(u("2026-10-15T09:00:00Z"));
        assert!(
            findings_of("KV_UserAnomaly", v, &cfg).is_empty(),
            "known from the learning period"
        );
        let mut v = background("kv", 20);
        v.push(u("2026-10-15T09:00:00Z").status(403));
        assert!(
            findings_of("KV_UserAnomaly", v, &cfg).is_empty(),
            "a denial is not access"
        );
        let mut v = background("kv", 20);
        v.push(u("2026-10-15T09:00:00Z").op("VaultGet"));
        assert!(
            findings_of("KV_UserAnomaly", v, &cfg).is_empty(),
            "management plane"
        );
        let mut v = background("kv", 20);
        v.push(u("2026-10-15T09:00:00Z"));
        assert_eq!(findings_of("KV_UserAnomaly", v, &cfg).len(), 1);
    }
}
