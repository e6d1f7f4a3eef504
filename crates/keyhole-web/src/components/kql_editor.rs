//! The KQL editor: a textarea over its own highlighted copy (the text is coloured in place,
//! the caret and selection stay the browser's), the span an error points at underlined,
//! Ctrl+Enter (⌘+Enter) runs the query.

use keyhole_kql::TokenKind;
use std::ops::Range;
use yew::prelude::*;

fn class_of(k: TokenKind) -> &'static str {
    match k {
        TokenKind::Keyword => "k-kw",
        TokenKind::Operator => "k-op",
        TokenKind::Function => "k-fn",
        TokenKind::Identifier => "k-id",
        TokenKind::String => "k-str",
        TokenKind::Number | TokenKind::TimeSpan => "k-num",
        TokenKind::Comment => "k-com",
        TokenKind::Punctuation => "k-p",
        TokenKind::Error => "k-err",
    }
}

/// One piece of the highlighted query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub range: Range<usize>,
    pub class: &'static str,
    /// Inside the span the error points at.
    pub error: bool,
}

/// The query cut into segments that cover it exactly, each with its token class and whether
/// the error span covers it.
pub fn segments(q: &str, err: Option<(usize, usize)>) -> Vec<Segment> {
    let mut toks: Vec<(Range<usize>, &'static str)> = Vec::new();
    let mut at = 0;
    for (r, k) in keyhole_kql::highlight(q) {
        if r.start < at
            || r.end > q.len()
            || !q.is_char_boundary(r.start)
            || !q.is_char_boundary(r.end)
        {
            continue;
        }
        if r.start > at {
            toks.push((at..r.start, ""));
        }
        at = r.end;
        toks.push((r, class_of(k)));
    }
    if at < q.len() {
        toks.push((at..q.len(), ""));
    }
    let err = err
        .filter(|&(a, b)| a <= b && b <= q.len() && q.is_char_boundary(a) && q.is_char_boundary(b));
    let mut out = Vec::new();
    let mut push = |range: Range<usize>, class: &'static str, error: bool| {
        if !range.is_empty() {
            out.push(Segment {
                range,
                class,
                error,
            });
        }
    };
    for (r, class) in toks {
        match err {
            Some((a, b)) if a < r.end && b > r.start => {
                let (lo, hi) = (a.max(r.start), b.min(r.end));
                push(r.start..lo, class, false);
                push(lo..hi, class, true);
                push(hi..r.end, class, false);
            }
            _ => push(r, class, false),
        }
    }
    out
}

fn highlighted(q: &str, err: Option<(usize, usize)>) -> Html {
    let mut out: Vec<Html> = segments(q, err)
        .into_iter()
        .map(|s| {
            let text = &q[s.range];
            match (s.class, s.error) {
                ("", false) => html! { { text } },
                (c, false) => html! { <span class={c}>{ text }</span> },
                (c, true) => html! { <span class={classes!(c, "k-errpos")}>{ text }</span> },
            }
        })
        .collect();
    if let Some((a, b)) = err {
        if a == b || a >= q.len() {
            // Nothing to underline (e.g. "expected ')'" at the end): mark the place.
            out.push(
                html! { <span class="k-errpos k-errmark" title="error here">{ "\u{00a0}" }</span> },
            );
        }
    }
    // A trailing newline in a textarea makes a line: keep the copy as tall.
    out.push(html! { { "\n\u{00a0}" } });
    out.into_iter().collect()
}

#[derive(Properties, PartialEq)]
pub struct KqlEditorProps {
    pub value: AttrValue,
    pub on_input: Callback<String>,
    pub on_run: Callback<()>,
    #[prop_or_default]
    pub error_span: Option<(usize, usize)>,
}

#[function_component(KqlEditor)]
pub fn kql_editor(p: &KqlEditorProps) -> Html {
    let oninput = {
        let cb = p.on_input.clone();
        Callback::from(move |e: InputEvent| {
            let ta: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            cb.emit(ta.value());
        })
    };
    let onkeydown = {
        let run = p.on_run.clone();
        let input = p.on_input.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                let ta: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
                input.emit(ta.value());
                run.emit(());
            }
        })
    };
    html! {
        <div class="editor" id="kql-editor">
            <pre class="kql-hl" aria-hidden="true">{ highlighted(&p.value, p.error_span) }</pre>
            <textarea id="kql-query" class="kql" spellcheck="false" autocomplete="off" aria-label="KQL query (Ctrl+Enter runs it)"
                value={p.value.clone()} {oninput} {onkeydown} />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_the_query_and_mark_the_error() {
        let q = "AzureDiagnostics | wher x == 1";
        let s = segments(q, Some((19, 23)));
        let joined: String = s.iter().map(|x| &q[x.range.clone()]).collect();
        assert_eq!(joined, q, "every byte exactly once");
        let err: String = s
            .iter()
            .filter(|x| x.error)
            .map(|x| &q[x.range.clone()])
            .collect();
        assert_eq!(err, "wher");
        assert!(s
            .iter()
            .any(|x| x.class == "k-op" || x.class == "k-kw" || x.class == "k-p"));
        let q = "print 'é' // ü";
        let s = segments(q, Some((7, 9)));
        assert_eq!(s.iter().map(|x| &q[x.range.clone()]).collect::<String>(), q);
        assert!(
            segments(q, Some((8, 9))).iter().all(|x| !x.error),
            "not a char boundary: no mark"
        );
    }
}
