//! Symbol tables: every distinct text once (`Sym`), and dictionaries of the small fixed-size
//! tuples of symbols that the store's columns point into. A parse unit ([`super::Batch`]) and
//! the merged store ([`super::StoreBuilder`]) use the same tables; merging a batch maps its
//! symbols and tuples onto the store's, once per distinct value, never per event.

use rustc_hash::FxBuildHasher;
use std::collections::HashMap;
use std::hash::Hash;

/// A symbol: the index of a distinct text in a [`Strings`] table.
pub type Sym = u32;
/// "No value" in a symbol slot.
pub const NONE: Sym = u32::MAX;

/// Distinct texts, each stored once; looked up by `&str` without allocating.
#[derive(Debug, Default)]
pub struct Strings {
    map: HashMap<Box<str>, Sym, FxBuildHasher>,
    /// Symbol → text (the same allocation as the map's key is not shareable; texts are short
    /// and distinct, so the second copy costs per distinct value, not per event).
    texts: Vec<Box<str>>,
    /// Per symbol: the text has no ASCII upper-case letter (it is its own lower-case form).
    lower_ok: Vec<bool>,
    /// A small direct-mapped cache in front of the map: consecutive records repeat most of
    /// their texts, and a hit costs one comparison instead of a hash and a probe.
    front: Vec<Sym>,
    /// Original text → symbol of its lower-case form, direct-mapped likewise.
    front_lower: Vec<(Box<str>, Sym)>,
    lower: String,
}

const FRONT_BITS: u32 = 12;
const FRONT: usize = 1 << FRONT_BITS;

/// The cache slot of a text: its first, middle and last eight bytes (texts of one column share
/// their ends, e.g. the URLs of one vault's secrets, and differ inside) and its length, mixed
/// by one multiplication; shorter texts are taken whole.
#[inline]
fn fingerprint(s: &[u8]) -> usize {
    let n = s.len();
    let w = |i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or_default());
    let x = if n >= 8 {
        w(0) ^ w(n - 8).rotate_left(21) ^ w((n - 8) / 2).rotate_left(42)
    } else {
        s.iter().fold(0, |h, &b| (h << 8) | b as u64)
    };
    ((x ^ n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - FRONT_BITS)) as usize
}

/// `a == b`, compared eight bytes at a time, the last eight first. The cache checks below
/// compare each text of a record with the one it hit; `==` on `str` calls `memcmp`, which on
/// wasm32 is a byte-by-byte loop: it was 10 % of a parse worker's time (V8 profile, 100 MB raw
/// JSON lines), 4 % natively. Texts that are compared and differ mostly share a long head and
/// differ at the end (URLs of one vault, resource ids of one subscription's vaults).
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let w = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or_default());
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    // the last eight bytes (overlapping the words before when `n` is not a multiple of 8)
    if w(a, n - 8) != w(b, n - 8) {
        return false;
    }
    let mut i = 0;
    while i + 8 < n {
        if w(a, i) != w(b, i) {
            return false;
        }
        i += 8;
    }
    true
}

#[inline]
fn has_upper(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_uppercase())
}

impl Strings {
    pub fn new() -> Strings {
        Strings {
            map: HashMap::default(),
            texts: Vec::new(),
            lower_ok: Vec::new(),
            front: vec![NONE; FRONT],
            front_lower: Vec::new(),
            lower: String::new(),
        }
    }

    /// The symbol of `s`, added when new.
    #[inline]
    pub fn get(&mut self, s: &str) -> Sym {
        let k = fingerprint(s.as_bytes());
        match self.front.get(k) {
            Some(&f) if f != NONE && same(&self.texts[f as usize], s) => f,
            _ => self.get_slow(s, k),
        }
    }

    /// [`Strings::get`] past its cache (`k`: the text's fingerprint).
    #[inline(never)]
    fn get_slow(&mut self, s: &str, k: usize) -> Sym {
        if self.front.is_empty() {
            self.front = vec![NONE; FRONT];
        }
        let sym = match self.map.get(s) {
            Some(&sym) => sym,
            None => {
                let sym = self.texts.len() as Sym;
                self.texts.push(s.into());
                self.lower_ok.push(!has_upper(s));
                self.map.insert(s.into(), sym);
                sym
            }
        };
        self.front[k] = sym;
        sym
    }

    /// The symbol of the ASCII-lower-case form of `s`.
    #[inline]
    pub fn get_lower(&mut self, s: &str) -> Sym {
        // a cached text with no upper-case letter is its own lower-case form
        let k = fingerprint(s.as_bytes());
        match self.front.get(k) {
            Some(&f)
                if f != NONE && self.lower_ok[f as usize] && same(&self.texts[f as usize], s) =>
            {
                f
            }
            _ => self.get_lower_slow(s, k),
        }
    }

    /// [`Strings::get_lower`] past the text cache (`k`: the text's fingerprint).
    #[inline(never)]
    fn get_lower_slow(&mut self, s: &str, k: usize) -> Sym {
        // the cache holds upper-case originals only: a hit needs no scan for upper case
        if let Some((orig, sym)) = self.front_lower.get(k) {
            if *sym != NONE && same(orig, s) {
                return *sym;
            }
        }
        if !has_upper(s) {
            return self.get_slow(s, k);
        }
        if self.front_lower.is_empty() {
            self.front_lower = vec![(Box::from(""), NONE); FRONT];
        }
        let mut l = std::mem::take(&mut self.lower);
        l.clear();
        l.push_str(s);
        l.make_ascii_lowercase();
        let sym = self.get(&l);
        self.lower = l;
        self.front_lower[k] = (Box::from(s), sym);
        sym
    }

    #[inline]
    pub fn opt(&mut self, s: Option<&str>) -> Sym {
        match s {
            Some(s) => self.get(s),
            None => NONE,
        }
    }

    #[inline]
    pub fn opt_lower(&mut self, s: Option<&str>) -> Sym {
        match s {
            Some(s) => self.get_lower(s),
            None => NONE,
        }
    }

    /// The text of a symbol (`None` for [`NONE`]).
    #[inline]
    pub fn text(&self, sym: Sym) -> Option<&str> {
        if sym == NONE {
            None
        } else {
            Some(&self.texts[sym as usize])
        }
    }

    /// Distinct texts held.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.texts.iter().map(|b| &**b)
    }

    /// Take the texts out, in symbol order (the lookup map is dropped).
    pub fn into_texts(self) -> Vec<Box<str>> {
        self.texts
    }

    /// Heap bytes (estimate: texts, map entries).
    pub fn heap_bytes(&self) -> usize {
        let texts: usize = self.texts.iter().map(|t| t.len()).sum();
        2 * texts
            + self.texts.capacity() * std::mem::size_of::<Box<str>>()
            + self.lower_ok.capacity()
            + self.map.capacity() * (std::mem::size_of::<(Box<str>, Sym)>() + 1)
            + self.front.capacity() * 4
            + self
                .front_lower
                .iter()
                .map(|(t, _)| t.len() + 20)
                .sum::<usize>()
    }
}

/// Distinct tuples of a kind, numbered in order of first appearance.
#[derive(Debug)]
pub struct Tuples<K> {
    map: HashMap<K, u32, FxBuildHasher>,
    keys: Vec<K>,
    /// The last tuple looked up: consecutive events often share it.
    last: Option<(K, u32)>,
}

impl<K> Default for Tuples<K> {
    fn default() -> Self {
        Tuples {
            map: HashMap::default(),
            keys: Vec::new(),
            last: None,
        }
    }
}

impl<K: Copy + Eq + Hash> Tuples<K> {
    #[inline]
    pub fn id(&mut self, k: K) -> u32 {
        if let Some((lk, id)) = self.last {
            if lk == k {
                return id;
            }
        }
        let next = self.keys.len() as u32;
        let id = *self.map.entry(k).or_insert(next);
        if id == next {
            self.keys.push(k);
        }
        self.last = Some((k, id));
        id
    }

    pub fn keys(&self) -> &[K] {
        &self.keys
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn into_keys(self) -> Vec<K> {
        self.keys
    }

    pub fn heap_bytes(&self) -> usize {
        self.keys.capacity() * std::mem::size_of::<K>()
            + self.map.capacity() * (std::mem::size_of::<(K, u32)>() + 1)
    }
}

// ---- the tuples: fields that travel together share one id per event ----

/// (vault, subscription, resource group).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResKey {
    pub vault: Sym,
    pub subscription: Sym,
    pub resource_group: Sym,
}

/// (operation name, operation version, category).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpKey {
    pub name: Sym,
    pub version: Sym,
    pub category: Sym,
}

/// (status, result type, result signature, result description); status `u16::MAX` = none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResultKey {
    pub status: u16,
    pub result_type: Sym,
    pub signature: Sym,
    pub description: Sym,
}

/// (object id, upn, app id, tenant id, kind): kind 0 none, 1 user, 2 app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IdentKey {
    pub object_id: Sym,
    pub upn: Sym,
    pub app_id: Sym,
    pub tenant_id: Sym,
    pub kind: u8,
}

/// (client info, TLS version, applied assignment, policy match, RBAC): bools 0 none, 1 false, 2 true.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey {
    pub client_info: Sym,
    pub tls_version: Sym,
    pub assignment_id: Sym,
    pub policy_match: u8,
    pub rbac: u8,
}

/// A URL rebuilt from literal pieces and the event's object name and version:
/// shape 0 = `l0`; 1 = `l0 NAME l1`; 2 = `l0 VERSION l1`; 3 = `l0 NAME l1 VERSION l2`.
/// `shape == u8::MAX`: no URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tpl {
    pub shape: u8,
    pub lit: [Sym; 3],
}

impl Tpl {
    pub const NONE: Tpl = Tpl {
        shape: u8::MAX,
        lit: [NONE; 3],
    };
}

/// (object kind, name, version, request URI template, object id template).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ObjKey {
    pub kind: u8,
    pub name: Sym,
    pub version: Sym,
    pub request_uri: Tpl,
    pub object_id: Tpl,
}

/// The vault configuration snapshot; bools 0 none, 1 false, 2 true; retention `u32::MAX` = none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CfgKey {
    pub network_default_action: Sym,
    pub network_bypass: Sym,
    pub sku: Sym,
    pub tenant_id: Sym,
    pub retention_days: u32,
    pub bools: [u8; 6],
}

/// Option<bool> as a byte.
#[inline]
pub fn b3(b: Option<bool>) -> u8 {
    match b {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    }
}

#[inline]
pub fn unb3(b: u8) -> Option<bool> {
    match b {
        1 => Some(false),
        2 => Some(true),
        _ => None,
    }
}

/// Every dictionary of a batch or a store.
#[derive(Debug, Default)]
pub struct Dicts {
    pub strings: Strings,
    pub res: Tuples<ResKey>,
    pub ops: Tuples<OpKey>,
    pub results: Tuples<ResultKey>,
    pub callers: Tuples<Sym>,
    pub idents: Tuples<IdentKey>,
    pub clients: Tuples<ClientKey>,
    pub objects: Tuples<ObjKey>,
    pub configs: Tuples<CfgKey>,
}

impl Dicts {
    pub fn new() -> Dicts {
        Dicts {
            strings: Strings::new(),
            ..Dicts::default()
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.strings.heap_bytes()
            + self.res.heap_bytes()
            + self.ops.heap_bytes()
            + self.results.heap_bytes()
            + self.callers.heap_bytes()
            + self.idents.heap_bytes()
            + self.clients.heap_bytes()
            + self.objects.heap_bytes()
            + self.configs.heap_bytes()
    }
}

/// Maps one table's symbols and tuple ids onto another's (batch → store).
pub struct Remap {
    pub sym: Vec<Sym>,
    pub res: Vec<u32>,
    pub ops: Vec<u32>,
    pub results: Vec<u32>,
    pub callers: Vec<u32>,
    pub idents: Vec<u32>,
    pub clients: Vec<u32>,
    pub objects: Vec<u32>,
    pub configs: Vec<u32>,
}

#[inline]
fn m(map: &[Sym], s: Sym) -> Sym {
    if s == NONE {
        NONE
    } else {
        map[s as usize]
    }
}

fn tpl(map: &[Sym], t: Tpl) -> Tpl {
    Tpl {
        shape: t.shape,
        lit: [m(map, t.lit[0]), m(map, t.lit[1]), m(map, t.lit[2])],
    }
}

impl Remap {
    #[inline]
    pub fn sym(&self, s: Sym) -> Sym {
        m(&self.sym, s)
    }
}

impl Dicts {
    /// Add every value of `other` to `self`; returns how `other`'s ids map onto `self`'s.
    pub fn absorb(&mut self, other: &Dicts) -> Remap {
        let sym: Vec<Sym> = other.strings.iter().map(|t| self.strings.get(t)).collect();
        let s = |x: Sym| m(&sym, x);
        let res = other
            .res
            .keys()
            .iter()
            .map(|k| {
                self.res.id(ResKey {
                    vault: s(k.vault),
                    subscription: s(k.subscription),
                    resource_group: s(k.resource_group),
                })
            })
            .collect();
        let ops = other
            .ops
            .keys()
            .iter()
            .map(|k| {
                self.ops.id(OpKey {
                    name: s(k.name),
                    version: s(k.version),
                    category: s(k.category),
                })
            })
            .collect();
        let results = other
            .results
            .keys()
            .iter()
            .map(|k| {
                self.results.id(ResultKey {
                    status: k.status,
                    result_type: s(k.result_type),
                    signature: s(k.signature),
                    description: s(k.description),
                })
            })
            .collect();
        let callers = other
            .callers
            .keys()
            .iter()
            .map(|&k| self.callers.id(s(k)))
            .collect();
        let idents = other
            .idents
            .keys()
            .iter()
            .map(|k| {
                self.idents.id(IdentKey {
                    object_id: s(k.object_id),
                    upn: s(k.upn),
                    app_id: s(k.app_id),
                    tenant_id: s(k.tenant_id),
                    kind: k.kind,
                })
            })
            .collect();
        let clients = other
            .clients
            .keys()
            .iter()
            .map(|k| {
                self.clients.id(ClientKey {
                    client_info: s(k.client_info),
                    tls_version: s(k.tls_version),
                    assignment_id: s(k.assignment_id),
                    ..*k
                })
            })
            .collect();
        let objects = other
            .objects
            .keys()
            .iter()
            .map(|k| {
                self.objects.id(ObjKey {
                    kind: k.kind,
                    name: s(k.name),
                    version: s(k.version),
                    request_uri: tpl(&sym, k.request_uri),
                    object_id: tpl(&sym, k.object_id),
                })
            })
            .collect();
        let configs = other
            .configs
            .keys()
            .iter()
            .map(|k| {
                self.configs.id(CfgKey {
                    network_default_action: s(k.network_default_action),
                    network_bypass: s(k.network_bypass),
                    sku: s(k.sku),
                    tenant_id: s(k.tenant_id),
                    ..*k
                })
            })
            .collect();
        Remap {
            sym,
            res,
            ops,
            results,
            callers,
            idents,
            clients,
            objects,
            configs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_is_string_equality_at_every_length() {
        let base: String = (0..40)
            .map(|i| (b'a' + (i * 7 % 26) as u8) as char)
            .collect();
        for n in 0..=base.len() {
            let a = &base[..n];
            assert!(same(a, a));
            // one byte different at every position, and a different length
            for k in 0..n {
                let mut b = a.as_bytes().to_vec();
                b[k] = b'Z';
                let b = String::from_utf8(b).unwrap();
                assert!(!same(a, &b), "{a:?} vs {b:?}");
            }
            assert!(!same(a, &format!("{a}x")));
        }
    }

    #[test]
    fn strings_share_and_lower() {
        let mut s = Strings::new();
        let a = s.get("SecretGet");
        assert_eq!(s.get(&String::from("SecretGet")), a);
        let l = s.get_lower("KV-PROD");
        assert_eq!(s.text(l), Some("kv-prod"));
        assert_eq!(s.get("kv-prod"), l);
        // fingerprint collisions fall back to the map
        for n in 0..2000 {
            let t = format!("s{n}");
            let sym = s.get(&t);
            assert_eq!(s.text(sym), Some(t.as_str()));
        }
        assert_eq!(s.len(), 2000 + 2);
        assert_eq!(s.text(NONE), None);
    }

    #[test]
    fn lower_case_lookups_never_return_a_cached_upper_case_text() {
        let mut s = Strings::new();
        // the same text cached by `get` (as is) and then asked for in lower case
        for t in [
            "Alice@Contoso.com",
            "KV-PROD",
            "X",
            "AbCdEfGhIjKlMnOpQrStUv",
        ] {
            let as_is = s.get(t);
            let lower = s.get_lower(t);
            assert_ne!(as_is, lower, "{t}");
            assert_eq!(s.text(lower), Some(t.to_ascii_lowercase().as_str()));
            // and back: the cached lower-case text is its own lower-case form
            assert_eq!(s.get_lower(&t.to_ascii_lowercase()), lower);
            assert_eq!(s.get(t), as_is);
        }
        let x = s.get("x");
        assert_eq!(s.get_lower("x"), x, "a lower-case text is its own form");
        // non-ASCII letters are kept (ASCII lower-casing only)
        let l = s.get_lower("ÄRGER-KV");
        assert_eq!(s.text(l), Some("Ärger-kv"));
    }

    #[test]
    fn absorbing_maps_every_id() {
        let mut a = Dicts::new();
        let mut b = Dicts::new();
        let x = a.strings.get("x");
        let y = b.strings.get("y");
        let bx = b.strings.get("x");
        let rb = b.res.id(ResKey {
            vault: y,
            subscription: bx,
            resource_group: NONE,
        });
        a.res.id(ResKey {
            vault: x,
            subscription: x,
            resource_group: NONE,
        });
        let map = a.absorb(&b);
        assert_eq!(map.sym[bx as usize], x);
        let got = a.res.keys()[map.res[rb as usize] as usize];
        assert_eq!(a.strings.text(got.vault), Some("y"));
        assert_eq!(a.strings.text(got.subscription), Some("x"));
        assert_eq!(a.res.len(), 2);
    }
}
