//! The Regional Internet Registry an address was allocated through: a coarse, bundled stand-in
//! for geolocation (no ASN or city database is shipped, and nothing is looked up online).
//!
//! Used by `KV_UnusualAccessSuspiciousIP` on a short drop, where a principal's own networks are
//! too few to judge a new one: a network from a registry region none of the vault's other
//! principals used in the drop (an AFRINIC address on a vault every peer reaches from RIPE NCC
//! and ARIN space) is a peer comparison, not a guess about the principal's travels.
//!
//! Only blocks IANA allocated to an RIR have a region. Legacy blocks ("Administered by …",
//! 128/8–191/8 mostly) are held by organisations worldwide, and private, shared (100.64/10),
//! documentation and reserved space belong to no region: all of those answer `None`, and `None`
//! never counts as a new region.

use super::config::{Net, NetSet};
use std::net::IpAddr;

/// Bundled allocations (see the header of the file for its date, source and licence).
pub const BUNDLED_RIR: &str = include_str!("../../data/rir_regions.txt");

/// One of the five Regional Internet Registries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Registry {
    Afrinic,
    Apnic,
    Arin,
    Lacnic,
    RipeNcc,
}

impl Registry {
    pub const ALL: [Registry; 5] = [
        Registry::Afrinic,
        Registry::Apnic,
        Registry::Arin,
        Registry::Lacnic,
        Registry::RipeNcc,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Registry::Afrinic => "AFRINIC",
            Registry::Apnic => "APNIC",
            Registry::Arin => "ARIN",
            Registry::Lacnic => "LACNIC",
            Registry::RipeNcc => "RIPE NCC",
        }
    }

    /// The service region, as the registries describe it.
    pub fn area(self) -> &'static str {
        match self {
            Registry::Afrinic => "Africa",
            Registry::Apnic => "Asia-Pacific",
            Registry::Arin => "North America",
            Registry::Lacnic => "Latin America and the Caribbean",
            Registry::RipeNcc => "Europe, the Middle East and Central Asia",
        }
    }

    /// A bit of a [`Registry`] set held in a `u8`.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }

    fn parse(s: &str) -> Option<Registry> {
        Registry::ALL.into_iter().find(|r| r.name() == s)
    }
}

/// The bundled allocations, one set of networks per registry.
#[derive(Clone, Debug, Default)]
pub struct Regions {
    sets: Vec<(Registry, NetSet)>,
}

impl Regions {
    /// Parse `CIDR registry` lines (`#` comments); a malformed line is skipped and reported by
    /// its 1-based number.
    pub fn parse(text: &str) -> (Regions, Vec<usize>) {
        let mut sets: Vec<(Registry, NetSet)> = Registry::ALL
            .into_iter()
            .map(|r| (r, NetSet::default()))
            .collect();
        let mut bad = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let parsed = line
                .split_once(char::is_whitespace)
                .and_then(|(cidr, rir)| {
                    Some((Net::parse(cidr).ok()?, Registry::parse(rir.trim())?))
                });
            match parsed {
                Some((net, r)) => sets[r as usize].1.insert(net),
                None => bad.push(i + 1),
            }
        }
        (Regions { sets }, bad)
    }

    /// The bundled allocations, parsed once per process.
    pub fn bundled() -> &'static Regions {
        static REGIONS: std::sync::OnceLock<Regions> = std::sync::OnceLock::new();
        REGIONS.get_or_init(|| Regions::parse(BUNDLED_RIR).0)
    }

    /// The registry `addr` was allocated through, `None` outside the five RIRs' blocks.
    pub fn of(&self, addr: IpAddr) -> Option<Registry> {
        match addr {
            // shared address space (carrier-grade NAT) inside ARIN's 100/8
            IpAddr::V4(a) if a.octets()[0] == 100 && (a.octets()[1] & 0xc0) == 64 => return None,
            // documentation (2001:db8::/32) inside APNIC's 2001:c00::/23
            IpAddr::V6(a) if a.segments()[..2] == [0x2001, 0x0db8] => return None,
            _ => {}
        }
        self.sets
            .iter()
            .find(|(_, set)| set.contains(addr))
            .map(|(r, _)| *r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(s: &str) -> Option<Registry> {
        Regions::bundled().of(s.parse().unwrap())
    }

    #[test]
    fn bundled_list_parses_whole_and_names_each_registry() {
        let (r, bad) = Regions::parse(BUNDLED_RIR);
        assert!(bad.is_empty(), "malformed lines {bad:?}");
        // the 129 IPv4 /8s IANA lists as ALLOCATED, and the RIRs' IPv6 blocks
        let v4: usize = BUNDLED_RIR
            .lines()
            .filter(|l| l.contains(".0.0.0/8 "))
            .count();
        assert_eq!(v4, 129);
        for reg in Registry::ALL {
            assert!(r.sets[reg as usize].1.len() > 1, "{}", reg.name());
        }
    }

    #[test]
    fn addresses_fall_in_their_registry() {
        assert_eq!(of("102.89.34.12"), Some(Registry::Afrinic));
        assert_eq!(of("41.1.2.3"), Some(Registry::Afrinic));
        assert_eq!(of("1.1.1.1"), Some(Registry::Apnic));
        assert_eq!(of("8.8.8.8"), None, "legacy block: no region");
        assert_eq!(of("23.1.2.3"), Some(Registry::Arin));
        assert_eq!(of("200.1.2.3"), Some(Registry::Lacnic));
        assert_eq!(of("86.12.1.1"), Some(Registry::RipeNcc));
        assert_eq!(of("2a01:cb00:1234:5678::1"), Some(Registry::RipeNcc));
        assert_eq!(of("2c0f:f000::1"), Some(Registry::Afrinic));
        assert_eq!(of("2001:4200::1"), Some(Registry::Afrinic));
        assert_eq!(of("2001:db8::1"), None, "documentation");
        assert_eq!(of("100.64.0.1"), None, "shared address space");
        assert_eq!(of("100.128.0.1"), Some(Registry::Arin));
        assert_eq!(of("10.0.0.1"), None);
        assert_eq!(of("147.161.40.10"), None, "legacy, administered by ARIN");
    }

    #[test]
    fn a_malformed_line_is_reported_not_fatal() {
        let (r, bad) = Regions::parse("# x\n1.0.0.0/8 APNIC\n2.0.0.0/8 NOWHERE\nnot a line\n");
        assert_eq!(bad, vec![3, 4]);
        assert_eq!(r.of("1.2.3.4".parse().unwrap()), Some(Registry::Apnic));
    }
}
