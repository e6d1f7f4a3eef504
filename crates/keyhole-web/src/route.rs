//! The URL hash ↔ the open tab and the explorer's filter: `#events?vault=kv1&outcome=denied`.
//! Back, Forward and bookmarks work. Pure Rust (tested natively); `app.rs` reads and writes
//! `location.hash`.

use keyhole_core::time::MICROS_PER_MIN;
use keyhole_core::workbook::EventFilter;
use keyhole_core::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Alerts,
    Analytics,
    Monitoring,
    Events,
    Query,
    Files,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Alerts,
        Tab::Analytics,
        Tab::Monitoring,
        Tab::Events,
        Tab::Query,
        Tab::Files,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Tab::Alerts => "alerts",
            Tab::Analytics => "analytics",
            Tab::Monitoring => "monitoring",
            Tab::Events => "events",
            Tab::Query => "hunt",
            Tab::Files => "files",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tab::Alerts => "Alerts",
            Tab::Analytics => "Analytics",
            Tab::Monitoring => "Monitoring",
            Tab::Events => "Events",
            Tab::Query => "Query (KQL)",
            Tab::Files => "Files",
        }
    }
}

/// The explorer's filter as the user typed it. Times are `YYYY-MM-DDTHH:MM[:SS]` in the zone
/// `tz_minutes` east of UTC, so the URL says which zone the range is in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub from: String,
    pub to: String,
    pub tz_minutes: i32,
    pub vault: String,
    pub identity: String,
    pub ip: String,
    pub operation: String,
    pub outcome: String,
}

/// `YYYY-MM-DDTHH:MM[:SS]` in a zone `tz_minutes` east of UTC → microseconds UTC.
pub fn parse_local(s: &str, tz_minutes: i32) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let t = Timestamp::parse_iso(s).or_else(|| Timestamp::parse_iso(&format!("{s}:00")))?;
    Some(t.micros - tz_minutes as i64 * MICROS_PER_MIN)
}

impl Filter {
    /// Sets one field by its URL name (`from`, `to`, `tz`, `vault`, `identity`, `ip`,
    /// `operation`, `outcome`); other names are ignored.
    pub fn set(&mut self, key: &str, v: String) {
        match key {
            "from" => self.from = v,
            "to" => self.to = v,
            "tz" => self.tz_minutes = v.parse().unwrap_or(0),
            "vault" => self.vault = v,
            "identity" => self.identity = v,
            "ip" => self.ip = v,
            "operation" => self.operation = v,
            "outcome" => self.outcome = v,
            _ => {}
        }
    }

    /// The core's filter: times in UTC, the end of the range inclusive to its last microsecond
    /// when given to the minute.
    pub fn to_event_filter(&self) -> EventFilter {
        let to = parse_local(&self.to, self.tz_minutes).map(|t| {
            if self.to.trim().len() <= 16 {
                t + MICROS_PER_MIN - 1
            } else {
                t
            }
        });
        EventFilter {
            from: parse_local(&self.from, self.tz_minutes),
            to,
            vault: self.vault.clone(),
            identity: self.identity.clone(),
            ip: self.ip.clone(),
            operation: self.operation.clone(),
            outcome: self.outcome.clone(),
        }
        .normalised()
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space), invalid escapes kept as is.
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encoding of everything but `A-Z a-z 0-9 - _ . ~ :`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn parse_route(hash: &str) -> (Tab, Filter) {
    let h = hash.trim_start_matches('#');
    let (path, query) = h.split_once('?').unwrap_or((h, ""));
    let tab = Tab::ALL
        .into_iter()
        .find(|t| t.slug() == path)
        .unwrap_or(Tab::Alerts);
    let mut f = Filter::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        f.set(&decode(k), decode(v));
    }
    (tab, f)
}

pub fn route_hash(tab: Tab, f: &Filter) -> String {
    let mut q = Vec::new();
    for (k, v) in [
        ("from", &f.from),
        ("to", &f.to),
        ("vault", &f.vault),
        ("identity", &f.identity),
        ("ip", &f.ip),
        ("operation", &f.operation),
        ("outcome", &f.outcome),
    ] {
        if !v.is_empty() {
            q.push(format!("{k}={}", encode(v)));
        }
    }
    if f.tz_minutes != 0 {
        q.push(format!("tz={}", f.tz_minutes));
    }
    if q.is_empty() {
        format!("#{}", tab.slug())
    } else {
        format!("#{}?{}", tab.slug(), q.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_round_trips_tab_and_filter() {
        let f = Filter {
            from: "2024-01-01T10:00".into(),
            tz_minutes: -300,
            vault: "kv 1&x=y".into(),
            identity: "ädmin@contoso.com".into(),
            operation: "SecretGet".into(),
            ..Filter::default()
        };
        let h = route_hash(Tab::Events, &f);
        assert_eq!(
            h,
            "#events?from=2024-01-01T10:00&vault=kv%201%26x%3Dy&identity=%C3%A4dmin%40contoso.com&operation=SecretGet&tz=-300"
        );
        assert_eq!(parse_route(&h), (Tab::Events, f));
        assert_eq!(parse_route("#hunt").0, Tab::Query);
        assert_eq!(parse_route("#nonsense?vault=x").0, Tab::Alerts);
        assert_eq!(parse_route("").0, Tab::Alerts);
        assert_eq!(parse_route("#events?vault=a+b%2").1.vault, "a b%2");
        assert_eq!(parse_route("#events?vault=%zz").1.vault, "%zz");
    }

    #[test]
    fn filter_times_are_read_in_their_zone() {
        // 12:30 at UTC+2 is 10:30 UTC; a minute-precision end covers that whole minute.
        let f = Filter {
            from: "2024-01-01T12:30".into(),
            to: "2024-01-01T12:30".into(),
            tz_minutes: 120,
            vault: " kv1 ".into(),
            ..Filter::default()
        };
        let e = f.to_event_filter();
        let utc = Timestamp::parse_iso("2024-01-01T10:30:00Z").unwrap().micros;
        assert_eq!(e.from, Some(utc));
        assert_eq!(e.to, Some(utc + MICROS_PER_MIN - 1));
        assert_eq!(e.vault, "kv1");
        assert_eq!(parse_local("", 0), None);
        assert_eq!(parse_local("garbage", 0), None);
        let secs = Filter {
            to: "2024-01-01T10:30:15".into(),
            ..Filter::default()
        };
        assert_eq!(secs.to_event_filter().to, Some(utc + 15_000_000));
    }
}
