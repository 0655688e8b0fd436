//! The switcher between the versions of one turn, `‹ 2/3 ›`: a regenerated reply's earlier
//! replies, or an edited message's earlier branches (each with the messages that followed
//! it). Shown only on a message that has versions.
//!
//! The counter's `2/3` is for the eye; screen readers read "Version 2 of 3" (and hear it
//! announced after a switch). A switch replaces the rows from this message on, so the new
//! version's switcher takes the focus the old one had. The buttons stay focusable at either
//! end (`aria-disabled`), so the focus is never dropped by a disabled button.

use leptos::html;
use leptos::prelude::*;

use super::controller::{ChatCtx, Row};
use crate::i18n::{strings, version_of};

/// `‹ n/m ›` for `row`, whose turn has `row.versions.1` versions.
#[component]
pub fn VersionSwitcher(row: Row, ctx: ChatCtx) -> impl IntoView {
    let t = move || strings(ctx.lang.get());
    let (n, of) = row.versions;
    let prev = NodeRef::<html::Button>::new();
    let next = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some((id, forward)) = ctx.version_focus.get() {
            let target = if forward { next } else { prev };
            if id == row.id {
                if let Some(button) = target.get() {
                    let _ = button.focus();
                    ctx.version_focus.set(None);
                }
            }
        }
    });
    let busy = move || ctx.streaming.get().is_some();
    view! {
        <div class="rill-versions" role="group" aria-label=move || t().chat_versions>
            <button
                type="button"
                class="rill-btn rill-btn-small rill-btn-ghost rill-version-step"
                data-testid="version-prev"
                node_ref=prev
                aria-label=move || t().chat_version_prev
                aria-disabled=move || (n <= 1 || busy()).then_some("true")
                on:click=move |_| ctx.previous_version(row.id)
            >
                <span aria-hidden="true">"‹"</span>
            </button>
            <span class="rill-version-counter" data-testid="version-counter" aria-hidden="true">
                {format!("{n}/{of}")}
            </span>
            <span class="rill-sr-only">{move || version_of(ctx.lang.get(), n, of)}</span>
            <button
                type="button"
                class="rill-btn rill-btn-small rill-btn-ghost rill-version-step"
                data-testid="version-next"
                node_ref=next
                aria-label=move || t().chat_version_next
                aria-disabled=move || (n >= of || busy()).then_some("true")
                on:click=move |_| ctx.next_version(row.id)
            >
                <span aria-hidden="true">"›"</span>
            </button>
        </div>
    }
}
