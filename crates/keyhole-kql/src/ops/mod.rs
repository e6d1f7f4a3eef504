//! Tabular operators, one module each; [`Ctx::operator`] dispatches a parsed operator to its
//! module. Sources (tables, `print`, `datatable`, `range`, `union`, `search`) live in `sources`.

use crate::ast::{OpAt, Operator};
use crate::error::Res;
use crate::exec::{Batch, Ctx};

mod count;
mod distinct;
mod extend;
mod getschema;
mod join;
mod mv_expand;
mod parse;
mod project;
mod render;
mod sort;
pub(crate) mod sources;
mod summarize;
mod take;
mod union;
mod where_;

impl Ctx<'_> {
    /// Apply one operator to a batch.
    pub fn operator(&mut self, b: Batch, op: &OpAt) -> Res<Batch> {
        match &op.op {
            Operator::Where(e) => where_::filter(self, b, e),
            Operator::Search(e) => where_::search(self, b, e),
            Operator::Project(assigns) => project::project(self, b, assigns),
            Operator::Extend(assigns) => extend::run(self, b, assigns),
            Operator::ProjectRename(pairs) => project::rename(self, b, pairs),
            Operator::ProjectAway(pats) => project::away(self, b, pats),
            Operator::ProjectKeep(pats) => project::keep(self, b, pats),
            Operator::ProjectReorder(pats) => project::reorder(self, b, pats),
            Operator::Summarize { aggs, by } => summarize::run(self, b, aggs, by),
            Operator::Join { kind, right, on } => join::run(self, b, *kind, right, on),
            Operator::Distinct(exprs) => distinct::run(self, b, exprs),
            Operator::Sort(keys) => sort::sort(self, b, keys, None),
            Operator::Top { n, key } => sort::top(self, b, n, key),
            Operator::Take(n) => take::run(self, b, n),
            Operator::Count => Ok(count::run(b)),
            Operator::Union(items) => union::run(self, b, items),
            Operator::MvExpand(assigns) => mv_expand::run(self, b, assigns),
            Operator::Render(kind) => Ok(render::run(self, b, kind)),
            Operator::Parse {
                expr,
                regex_kind,
                elems,
                filter,
            } => parse::run(self, b, expr, *regex_kind, elems, *filter),
            Operator::GetSchema => Ok(getschema::run(b)),
        }
    }
}
