//! KV_ListGetAnomaly — SecretList, then within 1 h gets of many secrets the principal never
//! read before.
//!
//! Why: an intruder does not know the secret names; it lists them and then reads them one by
//! one. A workload reads the same few names it always reads. Defaults: ≥ 5 distinct secrets new
//! to the (vault, principal) read within 60 min after a successful SecretList, after the vault's
//! learning period. MITRE: Discovery, Credential Access. Grouping: (vault, principal) per 1 h
//! window after the list. Origin: Defender (the sample Defender alert in the shared samples is
//! this one).

use crate::detect::baseline::{FxMap, FxSet, Id};
use crate::detect::{new_finding, who, Confidence, Cx, Finding, Rule, RuleInfo, Severity};
use crate::event::{Event, ObjectKind, Op, Verb};
use crate::time::MICROS_PER_MIN;
use serde_json::json;

pub static INFO: RuleInfo = RuleInfo {
    id: "KV_ListGetAnomaly",
    title: "Unusual secret listing followed by retrieval of many secrets",
    severity: Severity::Medium,
    tactics: &["Discovery", "CredentialAccess"],
    origin: "Defender",
    doc: "A successful SecretList followed within 60 min by successful gets of >= 5 secrets the principal never read on that vault, after the 7-day learning period.",
    needs_baseline: true,
    basis: "every secret the principal read on the vault before, after its learning period",
};

#[derive(Default)]
struct State {
    read: FxSet<Id>,
    /// Time and event of the last SecretList.
    list: Option<(i64, usize)>,
    /// New secrets read since that list, with their events.
    fresh: Vec<(Id, usize)>,
    /// How many new secrets since the list (`fresh` keeps the first 50).
    fresh_n: usize,
    open: Option<usize>,
}

#[derive(Default)]
pub struct ListGetAnomaly {
    state: FxMap<(Id, Id), State>,
}

impl Rule for ListGetAnomaly {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn on_event(&mut self, cx: &Cx, idx: usize, ev: &Event, allowed: bool, out: &mut Vec<Finding>) {
        if allowed || !ev.is_success() {
            return;
        }
        let Some(pk) = cx.cur.principal else {
            return;
        };
        match ev.op {
            Op::Object(ObjectKind::Secret, Verb::List) => {
                let st = self.state.entry((cx.cur.vault, pk)).or_default();
                st.list = Some((ev.time.micros, idx));
                st.fresh.clear();
                st.fresh_n = 0;
                st.open = None;
            }
            Op::Object(ObjectKind::Secret, Verb::Get) => {
                let Some(name) = cx.cur.object else { return };
                let st = self.state.entry((cx.cur.vault, pk)).or_default();
                if !st.read.insert(name) {
                    return;
                }
                let Some((lt, li)) = st.list else { return };
                let window = cx.cfg.list_get_window_min * MICROS_PER_MIN;
                if ev.time.micros - lt > window || cx.learning(ev) {
                    return;
                }
                st.fresh_n += 1;
                if st.fresh.len() < 50 {
                    st.fresh.push((name, idx));
                }
                if st.fresh_n < cx.cfg.list_get_secrets {
                    return;
                }
                let names: Vec<&str> = st.fresh.iter().map(|(n, _)| cx.name(*n)).collect();
                let reason = format!(
                    "{} listed the secrets of {} and within {} read {} secrets it never read before ({})",
                    who(ev),
                    ev.vault,
                    super::dur_between(crate::time::Timestamp::from_micros(lt), ev.time),
                    st.fresh_n,
                    names.iter().take(10).copied().collect::<Vec<_>>().join(", ")
                        + if st.fresh_n > 10 { ", …" } else { "" }
                );
                let details = json!({"new_secrets": names, "count": st.fresh_n, "list_time": super::secs(crate::time::Timestamp::from_micros(lt)).to_rfc3339()});
                match st.open {
                    Some(fi) => {
                        out[fi].add(ev, idx);
                        out[fi].reason = reason;
                        out[fi].details = details;
                    }
                    None => {
                        let mut f =
                            new_finding(&INFO, &cx.events[li], li, &ev.vault, reason, details)
                                .with_basis(
                                    cx.rolling_basis(ev, "secrets the principal read"),
                                    Confidence::High,
                                );
                        f.count = 0;
                        for &(_, i) in &st.fresh {
                            f.add(&cx.events[i], i);
                        }
                        out.push(f);
                        st.open = Some(out.len() - 1);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::testkit::{daily, ev, findings_of, EventBuilder};
    use crate::detect::DetectConfig;
    #[allow(unused_imports)]
    use crate::event::Event;

    #[allow(dead_code)]
    fn bg(vault: &str, days: i64) -> Vec<Event> {
        daily(
            &ev("2026-10-01T06:00:00Z")
                .vault(vault)
                .service("bg-app")
                .op("SecretGet")
                .obj("s")
                .ip("203.0.113.1"),
            days,
        )
    }

    fn gets_after_list(n: i64, delay_min: i64) -> usize {
        let cfg = DetectConfig::default();
        let mut v = bg("kv", 20);
        v.push(
            ev("2026-10-15T02:00:00Z")
                .vault("kv")
                .service("x")
                .op("SecretList"),
        );
        for k in 0..n {
            v.push(
                ev("2026-10-15T02:00:00Z")
                    .vault("kv")
                    .service("x")
                    .op("SecretGet")
                    .obj(&format!("n{k}"))
                    .secs(delay_min * 60 + k),
            );
        }
        findings_of("KV_ListGetAnomaly", v, &cfg).len()
    }

    #[test]
    fn five_new_secrets_within_the_hour() {
        assert_eq!(gets_after_list(4, 1), 0);
        assert_eq!(gets_after_list(5, 1), 1);
        assert_eq!(gets_after_list(5, 61), 0, "too long after the list");
    }
}
