//! The KQL editor: a textarea over its own highlighted copy (the text is coloured in place,
//! the caret and selection stay the browser's), the span an error points at underlined,
//! Ctrl+Enter (⌘+Enter) runs the query, and completion from the engine's schema
//! ([`super::completion`]): the list opens as a word is typed (or after `|`, or on Ctrl+Space);
//! ↑/↓ move, Tab or Enter accept, Esc closes.

use super::completion::{suggest, CompletionList, Suggestions};
use keyhole_kql::TokenKind;
use std::ops::Range;
use wasm_bindgen::JsCast;
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

/// The highlighted copy; `mark` puts an empty anchor at that byte (where the completion list
/// opens).
fn highlighted(q: &str, err: Option<(usize, usize)>, mark: Option<usize>) -> Html {
    let mut out: Vec<Html> = Vec::new();
    let anchor = || html! { <span class="k-mark" id="kql-mark"></span> };
    for s in segments(q, err) {
        let mut pieces = vec![s.range.clone()];
        if let Some(m) = mark.filter(|m| *m > s.range.start && *m < s.range.end) {
            pieces = vec![s.range.start..m, m..s.range.end];
        }
        for r in pieces {
            if mark == Some(r.start) {
                out.push(anchor());
            }
            let text = &q[r];
            out.push(match (s.class, s.error) {
                ("", false) => html! { { text } },
                (c, false) => html! { <span class={c}>{ text }</span> },
                (c, true) => html! { <span class={classes!(c, "k-errpos")}>{ text }</span> },
            });
        }
    }
    if mark.is_some_and(|m| m >= q.len()) {
        out.push(anchor());
    }
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

/// The open completion list: what it offers and which entry is selected.
#[derive(Clone, Debug, PartialEq)]
struct Open {
    s: Suggestions,
    selected: usize,
}

/// The caret as a byte offset (the browser counts UTF-16 units).
fn caret_of(ta: &web_sys::HtmlTextAreaElement, text: &str) -> usize {
    let units = ta.selection_start().ok().flatten().unwrap_or(0) as usize;
    utf16_to_byte(text, units)
}

fn utf16_to_byte(text: &str, units: usize) -> usize {
    let mut n = 0;
    for (i, c) in text.char_indices() {
        if n >= units {
            return i;
        }
        n += c.len_utf16();
    }
    text.len()
}

fn byte_to_utf16(text: &str, byte: usize) -> u32 {
    text[..byte.min(text.len())].encode_utf16().count() as u32
}

#[function_component(KqlEditor)]
pub fn kql_editor(p: &KqlEditorProps) -> Html {
    let open = use_state(|| None::<Open>);
    let at = use_state(|| (0.0f64, 0.0f64));
    let ta_ref = use_node_ref();
    let editor_ref = use_node_ref();
    // Place the list under the anchor the highlighted copy carries at the word's start.
    {
        let at = at.clone();
        let editor_ref = editor_ref.clone();
        let key = (*open).as_ref().map(|o| o.s.range.start);
        use_effect_with((key, p.value.clone()), move |(key, _)| {
            if key.is_some() {
                let mark = editor_ref
                    .cast::<web_sys::Element>()
                    .and_then(|e| e.query_selector("#kql-mark").ok().flatten())
                    .and_then(|m| m.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(m) = mark {
                    let pos = (
                        m.offset_left() as f64,
                        (m.offset_top() + m.offset_height()) as f64,
                    );
                    if *at != pos {
                        at.set(pos);
                    }
                }
            }
            || ()
        });
    }
    // Reopen (or close) the list for the text and caret now in the textarea.
    let refresh = {
        let open = open.clone();
        move |ta: &web_sys::HtmlTextAreaElement, text: &str, forced: bool| {
            let caret = caret_of(ta, text);
            let s = suggest(text, caret)
                .filter(|s| forced || !s.prefix.is_empty() || s.after_pipe && caret > 0);
            open.set(s.map(|s| Open { s, selected: 0 }));
        }
    };
    // A character key was pressed: the next input is typing (a paste or a script's edit is not,
    // and opens no list).
    let keyed = use_mut_ref(|| false);
    let oninput = {
        let cb = p.on_input.clone();
        let refresh = refresh.clone();
        let open = open.clone();
        let keyed = keyed.clone();
        Callback::from(move |e: InputEvent| {
            let ta: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            let v = ta.value();
            // Only typing opens the list; deleting keeps it open if it was.
            let typed = std::mem::take(&mut *keyed.borrow_mut()) && e.input_type() == "insertText";
            cb.emit(v.clone());
            if typed || open.is_some() {
                refresh(&ta, &v, false);
            }
        })
    };
    let accept = {
        let open = open.clone();
        let input = p.on_input.clone();
        let ta_ref = ta_ref.clone();
        Callback::from(move |i: usize| {
            let Some(ta) = ta_ref.cast::<web_sys::HtmlTextAreaElement>() else {
                return;
            };
            let text = ta.value();
            if let Some((new, caret)) = (*open).as_ref().and_then(|o| o.s.accept(&text, i)) {
                ta.set_value(&new);
                let u = byte_to_utf16(&new, caret);
                let _ = ta.set_selection_range(u, u);
                input.emit(new);
            }
            open.set(None);
        })
    };
    let onkeydown = {
        let run = p.on_run.clone();
        let input = p.on_input.clone();
        let open = open.clone();
        let accept = accept.clone();
        let keyed = keyed.clone();
        Callback::from(move |e: KeyboardEvent| {
            let ta: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            let key = e.key();
            *keyed.borrow_mut() = key.chars().count() == 1 && !e.ctrl_key() && !e.meta_key();
            if key == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                open.set(None);
                input.emit(ta.value());
                run.emit(());
                return;
            }
            if key == " " && e.ctrl_key() {
                e.prevent_default();
                refresh(&ta, &ta.value(), true);
                return;
            }
            let Some(o) = (*open).clone() else { return };
            let n = o.s.items.len();
            match key.as_str() {
                "ArrowDown" | "ArrowUp" => {
                    e.prevent_default();
                    let selected = if key == "ArrowDown" {
                        (o.selected + 1) % n
                    } else {
                        (o.selected + n - 1) % n
                    };
                    open.set(Some(Open { selected, ..o }));
                }
                "Tab" | "Enter" if !e.shift_key() && !e.alt_key() => {
                    e.prevent_default();
                    accept.emit(o.selected);
                }
                "Escape" => {
                    e.prevent_default();
                    e.stop_propagation();
                    open.set(None);
                }
                "ArrowLeft" | "ArrowRight" | "Home" | "End" | "PageUp" | "PageDown" => {
                    open.set(None)
                }
                _ => {}
            }
        })
    };
    let close = {
        let open = open.clone();
        move || {
            if open.is_some() {
                open.set(None)
            }
        }
    };
    let onblur = {
        let close = close.clone();
        Callback::from(move |_: FocusEvent| close())
    };
    let onclick = Callback::from(move |_: MouseEvent| close());
    let mark = (*open).as_ref().map(|o| o.s.range.start);
    let expanded = open.is_some();
    let active = (*open)
        .as_ref()
        .map(|o| AttrValue::from(format!("kql-opt-{}", o.selected)));
    html! {
        <div class="editor" id="kql-editor" ref={editor_ref}>
            <pre class="kql-hl" aria-hidden="true">{ highlighted(&p.value, p.error_span, mark) }</pre>
            <textarea id="kql-query" class="kql" spellcheck="false" autocomplete="off" ref={ta_ref}
                aria-label="KQL query (Ctrl+Enter runs it; Ctrl+Space completes)"
                aria-autocomplete="list" aria-controls="kql-complete" aria-expanded={expanded.to_string()}
                aria-activedescendant={active}
                value={p.value.clone()} {oninput} {onkeydown} {onblur} {onclick} />
            if let Some(o) = &*open {
                <CompletionList suggestions={o.s.clone()} selected={o.selected} on_pick={accept} at={*at} />
            }
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
