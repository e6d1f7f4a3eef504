//! `evaluate ipv6_lookup(LookupTable, SourceKey, LookupKey [, return_unmatched])`: each input
//! row joined to the rows of a lookup table whose network (an IPv6 or IPv4 address, or CIDR)
//! holds the row's address, compared as `ipv6_compare` does (on the fewest bits either side
//! keeps, IPv4 as IPv4-mapped). As documented, the result has the lookup table's columns, then
//! the input's; a row without a match is dropped, or kept with empty lookup columns when
//! `return_unmatched` is true.

use super::evaluate::{lookup_rows, Plugin};
use crate::ast::ExprKind;
use crate::error::{RawError, Res};
use crate::exec::{side_by_side, Batch, Ctx};
use crate::functions::parse_ipv6_net;

pub(crate) fn ipv6_lookup(ctx: &mut Ctx, b: Batch, p: &Plugin) -> Res<Batch> {
    const USAGE: &str =
        "ipv6_lookup(LookupTable, SourceIPv6Key, IPv6LookupKey [, return_unmatched])";
    if !(3..=4).contains(&p.args.len()) {
        return Err(RawError::new(
            p.name_span,
            format!(
                "ipv6_lookup expects 3 or 4 arguments, got {}: {USAGE}",
                p.args.len()
            ),
        ));
    }
    let name = |i: usize, what: &str| -> Res<(&str, (usize, usize))> {
        match &p.args[i].kind {
            ExprKind::Name(n) => Ok((n.as_str(), p.args[i].span)),
            _ => Err(RawError::new(
                p.args[i].span,
                format!("ipv6_lookup: expected {what}: {USAGE}"),
            )),
        }
    };
    let (lookup, table) = super::evaluate::lookup_table(ctx, p, USAGE)?;
    let (src_key, src_span) = name(1, "the input's address column")?;
    let (lk_key, lk_span) = name(2, "the lookup table's network column")?;
    let unmatched = match p.args.get(3) {
        Some(e) => match ctx.eval_const(e)?.undyn() {
            crate::value::Value::Bool(v) => v,
            _ => {
                return Err(RawError::new(
                    e.span,
                    "ipv6_lookup: return_unmatched must be a constant bool",
                ))
            }
        },
        None => false,
    };
    let si = b.index_of(src_key).ok_or_else(|| {
        RawError::new(src_span, format!("unknown column '{src_key}' in the input"))
    })?;
    let li = lookup.index_of(lk_key).ok_or_else(|| {
        RawError::new(
            lk_span,
            format!("unknown column '{lk_key}' in the lookup table '{table}'"),
        )
    })?;
    let src = &ctx.src;
    let nets: Vec<(u32, (u128, u32))> = (0..lookup.len)
        .filter_map(|r| {
            let v = lookup.cols[li].get(r, src);
            let net = crate::functions::str_of(&v).and_then(|s| parse_ipv6_net(&s))?;
            Some((r as u32, net))
        })
        .collect();
    let (lrows, srows) = lookup_rows(p, b.len, unmatched, |r, found| {
        let v = b.cols[si].get(r, src);
        if let Some(a) = crate::functions::str_of(&v).and_then(|s| parse_ipv6_net(&s)) {
            found.extend(
                nets.iter()
                    .filter(|(_, net)| crate::functions::ipv6_order(a, *net).is_eq())
                    .map(|(lr, _)| *lr),
            );
        }
    })?;
    Ok(side_by_side(
        lookup.gather_opt(&lrows, src),
        b.gather(&srows),
    ))
}
