//! The chat view: conversation list, message log, composer and settings.
//!
//! [`controller::ChatCtx`] holds the state and does the work; the components here render
//! it. Remote text reaches the DOM only as text nodes (see `markdown_body`).

pub mod controller;
pub mod embed_bridge;
pub mod markdown_body;
pub mod message;
pub mod reply_extras;
pub mod reply_watch;
pub mod settings_panel;
pub mod sidebar;
pub mod storage_notice;
pub mod version_switcher;

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::browser::{self, AnimationFrame};
use crate::chat::log_window::LogWindow;
use crate::config::Config;
use crate::i18n::{strings, Lang};
use controller::ChatCtx;
use message::MessageView;
use settings_panel::SettingsPanel;
use sidebar::Sidebar;

/// Where the conversation list becomes a drawer (`style/chat.css` has the same width).
const NARROW: &str = "(max-width: 760px)";

/// How close to the bottom (px) still counts as "reading the latest".
const BOTTOM_SLACK: i32 = 48;

/// How long (ms) the log holds the reader at the end after "jump to latest" or a send.
const HOLD_MS: f64 = 500.0;

/// How far (px) beyond each edge of the viewport the log keeps messages rendered, at least
/// (`chat::log_window`; a viewport's height when that is more).
const OVERSCAN: i32 = 800;

/// The chat view.
#[component]
pub fn ChatView(config: Config, lang: Signal<Lang>) -> impl IntoView {
    let ctx = ChatCtx::new(&config, lang);
    // The site's own name and greeting (config.json or the URL), else the app's words.
    let site_title = config.title.clone();
    let greeting = config.greeting.clone();
    let t = move || strings(lang.get());
    let draft = RwSignal::new(String::new());
    let show_settings = RwSignal::new(false);
    let settings_toggle = NodeRef::<html::Button>::new();
    // The conversation list as a drawer (narrow screens only; wide ones always show it).
    let list_open = RwSignal::new(false);
    let list_toggle = NodeRef::<html::Button>::new();
    let list_first = NodeRef::<html::Button>::new();
    let focus_frame = StoredValue::new_local(None::<AnimationFrame>);
    let at_bottom = RwSignal::new(true);
    let scroller = NodeRef::<html::Div>::new();
    let input = NodeRef::<html::Textarea>::new();
    let scroll_frame = StoredValue::new_local(None::<AnimationFrame>);
    // A long conversation renders only the messages around the viewport (`chat::log_window`),
    // with spacers for the rest; `moved` re-runs the log's list when the window moves.
    let window = StoredValue::new(LogWindow::default());
    let moved = RwSignal::new(0u32);
    let spacers = RwSignal::new((0i64, 0i64));
    let messages_el = NodeRef::<html::Div>::new();
    let place_frame = StoredValue::new_local(None::<AnimationFrame>);
    // Streaming text is saved at most once a second; a page being closed or reloaded
    // saves what has arrived, so the reply comes back as interrupted with all of it.
    let pagehide = window_event_listener_untyped("pagehide", move |_| ctx.save());
    // Back online, shown again or unfrozen: a reply whose reattaching gave up (or waits out
    // a backoff) is tried again now (`ChatCtx::wake`).
    let wake = StoredValue::new_local(Some(browser::PageWake::new(move || ctx.wake())));
    // A window widened past the drawer's breakpoint shows the list as a sidebar again: the
    // drawer is closed, so the chat behind it is not left inert.
    let widened = window_event_listener_untyped("resize", move |_| {
        if list_open.get_untracked() && !browser::media_matches(NARROW) {
            list_open.set(false);
        }
    });
    // `?replay=`: a recorded reply stream played as the reply of a new conversation.
    let replay_load = StoredValue::new_local(None::<browser::Task>);
    if let Some(src) = config.replay.clone() {
        let fast = config.replay_fast;
        replay_load.set_value(Some(browser::Task::spawn(async move {
            match crate::transport::replay::fetch_recording(&src).await {
                Ok(rec) => ctx.replay_reply(std::rc::Rc::new(rec), fast),
                Err(failure) => {
                    let t = crate::i18n::replay_strings(ctx.lang.get_untracked());
                    let state = crate::components::inspect_record::ReplayState::Failed(failure);
                    let line = crate::components::inspect_record::replay_line(&state, &src, t);
                    let _ = ctx.notice.try_set(Some(line));
                }
            }
        })));
    }
    on_cleanup(move || {
        replay_load.try_set_value(None);
        wake.try_set_value(None);
        pagehide.remove();
        widened.remove();
        ctx.stop();
        scroll_frame.try_set_value(None);
        place_frame.try_set_value(None);
        focus_frame.try_set_value(None);
    });
    // Opening the drawer moves focus into it, closing it brings focus back to its button:
    // in the next frame, once the drawer's class has shown or hidden it.
    Effect::new(move |was: Option<bool>| {
        let open = list_open.get();
        if was.is_some_and(|was| was != open) {
            focus_frame.set_value(AnimationFrame::request(move || {
                let target = if open { list_first } else { list_toggle };
                if let Some(el) = target.get_untracked() {
                    let _ = el.focus();
                }
            }));
        }
        open
    });

    // After "jump to latest" or a send, the log holds the reader at the end for a moment: the
    // scroll events of the window moving there (spacers replaced by measured rows) are not
    // the reader scrolling away.
    let hold_until = StoredValue::new(0.0f64);
    let hold_bottom = move || {
        at_bottom.set(true);
        hold_until.set_value(browser::now_ms() + HOLD_MS);
    };
    let send = move || {
        let text = draft.get_untracked();
        if ctx.send(&text) {
            draft.set(String::new());
            hold_bottom();
        }
    };
    // Widget mode: the host page's messages (send, prefill, focus) and ours to it (ready,
    // reply, close on Esc), origin-checked both ways; see `embed_bridge`.
    if config.embed {
        embed_bridge::attach(ctx, draft, input, send);
    }
    let scroll_to_bottom = move || {
        if let Some(el) = scroller.get_untracked() {
            let view = el.client_height();
            let mut to_end = false;
            window.update_value(|w| {
                to_end = w.to_end(i64::from(view), i64::from(view.max(OVERSCAN)));
            });
            if to_end {
                spacers.set(window.with_value(LogWindow::spacers));
                moved.update(|n| *n = n.wrapping_add(1));
            }
            el.set_scroll_top(el.scroll_height());
        }
    };
    // Follow the stream only while the reader is at the bottom.
    Effect::new(move |_| {
        let rows = ctx.rows.get();
        ctx.markdown_changed.track();
        moved.track();
        if let Some(last) = rows.last() {
            last.content.track();
            last.state.track();
        }
        if at_bottom.get_untracked() {
            scroll_frame.set_value(AnimationFrame::request(move || {
                scroll_to_bottom();
            }));
        }
    });
    // Once per frame at most: the rendered messages' heights are measured, and the window
    // moves to where the viewport is. The reader's place is kept by the browser's scroll
    // anchoring (a spacer above the viewport that shrinks or grows by what came in or left
    // is compensated); the latest message stays reachable (`scroll_to_bottom`).
    let place = move || {
        let (Some(el), Some(list)) = (scroller.get_untracked(), messages_el.get_untracked()) else {
            return;
        };
        let (start, end) = window.with_value(LogWindow::range);
        // Each rendered row's top and height, as the page lays them out now.
        let mut rects = Vec::new();
        if let Some(rows) = list
            .query_selector_all(":scope > .rill-msg")
            .ok()
            .filter(|r| r.length() as usize == end - start)
        {
            for i in 0..rows.length() {
                if let Some(row) = rows
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                {
                    let r = row.get_bounding_client_rect();
                    rects.push((r.top() as i64, r.height() as i64));
                }
            }
        }
        let scroller_top = el.get_bounding_client_rect().top() as i64;
        let view = el.client_height();
        let over = view.max(OVERSCAN);
        let mut changed = false;
        window.update_value(|w| {
            // A row's height with the gap after it: the distance to the next row's top.
            let gap = rects
                .windows(2)
                .next()
                .map_or(0, |pair| (pair[1].0 - pair[0].0 - pair[0].1).max(0));
            for (i, (top, height)) in rects.iter().enumerate() {
                let full = rects.get(i + 1).map_or(height + gap, |next| next.0 - top);
                w.measure(start + i, u32::try_from(full.max(1)).unwrap_or(1));
            }
            // The viewport's top in the log's own terms (px below the first row's top): the
            // first rendered row is `spacer` px below the first row.
            let top = match rects.first() {
                Some((first, _)) => spacers.get_untracked().0 - (first - scroller_top),
                None => i64::from(el.scroll_top()),
            };
            changed = if at_bottom.get_untracked() {
                // Reading the latest: the window stays at the end (the log follows).
                w.to_end(i64::from(view), i64::from(over))
            } else {
                w.place(top, i64::from(view), i64::from(over))
            };
        });
        let now = window.with_value(LogWindow::spacers);
        if changed || now != spacers.get_untracked() {
            spacers.set(now);
        }
        if changed {
            moved.update(|n| *n = n.wrapping_add(1));
        }
    };
    // At most one `place` per frame, after a scroll or a change of rows.
    let place_pending = StoredValue::new(false);
    let place_soon = move || {
        if place_pending.get_value() {
            return;
        }
        place_pending.set_value(true);
        place_frame.set_value(AnimationFrame::request(move || {
            place_pending.set_value(false);
            place();
        }));
    };
    Effect::new(move |_| {
        ctx.rows.with(|rows| rows.len());
        ctx.markdown_changed.track();
        moved.track();
        place_soon();
    });
    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            let gap = el.scroll_height() - el.scroll_top() - el.client_height();
            let bottom = gap <= BOTTOM_SLACK;
            if bottom || browser::now_ms() > hold_until.get_value() {
                at_bottom.set(bottom);
            }
            // Following a reply at the end (the log scrolls itself each frame): the window
            // already reaches the end, and rows above the viewport may stay until the reader
            // scrolls; no measuring per frame.
            if !(bottom && window.with_value(LogWindow::at_end)) {
                place_soon();
            }
        }
    };
    // Code-block copy buttons are plain DOM built from markdown; one delegated listener
    // serves them all.
    let on_log_click = move |ev: leptos::ev::MouseEvent| {
        let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        if target.class_list().contains("rill-copy-code") {
            let code = target
                .parent_element()
                .and_then(|pre| pre.query_selector("code").ok().flatten())
                .and_then(|code| code.text_content())
                .unwrap_or_default();
            browser::copy_text(&code);
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && list_open.get_untracked() {
            ev.prevent_default();
            list_open.set(false);
        } else if ev.key() == "Escape" && ctx.streaming.get_untracked().is_some() {
            ev.prevent_default();
            ctx.stop();
        } else if ev.key() == "Escape" && show_settings.get_untracked() {
            // Esc closes the settings (before it would close a widget's panel) and focus
            // goes back to their button.
            ev.prevent_default();
            show_settings.set(false);
            if let Some(button) = settings_toggle.get_untracked() {
                let _ = button.focus();
            }
        }
    };
    let rows_len = move || ctx.rows.with(|r| r.len());

    view! {
        <section class="rill-chat" class:rill-list-open=move || list_open.get() on:keydown=on_key>
            <Sidebar ctx=ctx open=list_open first=list_first />
            // Dims the chat behind the open drawer; a tap on it closes the drawer (the drawer's
            // own button and Esc do the same for keyboards and screen readers).
            <div class="rill-side-backdrop" data-testid="chat-list-backdrop" aria-hidden="true" on:click=move |_| list_open.set(false)></div>
            // While the drawer is open the chat behind it is inert: Tab stays in the drawer and
            // screen readers do not wander behind it.
            <div class="rill-chat-main" inert=move || (list_open.get() && browser::media_matches(NARROW)).then_some("")>
                <div class="rill-chat-bar">
                    <button
                        type="button"
                        class="rill-btn rill-btn-ghost rill-chat-list-toggle"
                        data-testid="chat-list-toggle"
                        node_ref=list_toggle
                        aria-controls=sidebar::LIST_ID
                        aria-expanded=move || list_open.get().to_string()
                        on:click=move |_| list_open.update(|v| *v = !*v)
                    >
                        <span aria-hidden="true">"☰"</span>
                        {move || t().chat_list_toggle}
                    </button>
                    <h1 class="rill-chat-title">
                        {move || {
                            ctx.list_version.track();
                            let current = ctx.current.get();
                            current
                                .and_then(|id| ctx.list("").into_iter().find(|(i, _)| *i == id).map(|(_, title)| title))
                                .filter(|t| !t.is_empty())
                                .or_else(|| site_title.clone())
                                .unwrap_or_else(|| t().chat_untitled.to_string())
                        }}
                    </h1>
                    <span class="rill-chat-model" data-testid="chat-backend">
                        {move || ctx.settings.with(|s| format!("{} · {}", s.format.as_str(), s.model))}
                        " · "
                        <span
                            data-testid="chat-endpoint-host"
                            title=move || t().chat_endpoint_host
                            class:rill-host-pending=move || ctx.endpoint_pending()
                        >
                            {move || ctx.endpoint_host()}
                        </span>
                    </span>
                    <button
                        type="button"
                        class="rill-btn rill-btn-ghost"
                        data-testid="chat-settings-toggle"
                        node_ref=settings_toggle
                        aria-expanded=move || show_settings.get().to_string()
                        on:click=move |_| {
                            // The panel takes height from the message list: a reader at the
                            // latest message stays there.
                            let stick = at_bottom.get_untracked();
                            show_settings.update(|v| *v = !*v);
                            if stick {
                                scroll_frame.set_value(AnimationFrame::request(move || {
                                    at_bottom.set(true);
                                    scroll_to_bottom();
                                }));
                            }
                        }
                    >
                        {move || t().chat_settings}
                    </button>
                </div>
                <Show when=move || ctx.link_banner()>
                    <div class="rill-notice rill-link-banner" role="alert" data-testid="chat-endpoint-banner">
                        <p>
                            {move || t().chat_link_title}
                            " "
                            <strong data-testid="chat-endpoint-banner-host">{move || ctx.endpoint_host()}</strong>
                            ". "
                            {move || t().chat_link_body}
                        </p>
                        <div class="rill-link-actions">
                            <button
                                type="button"
                                class="rill-btn rill-btn-primary"
                                data-testid="chat-endpoint-confirm"
                                on:click=move |_| ctx.confirm_link()
                            >
                                {move || format!("{} {}", t().chat_link_use, ctx.endpoint_host())}
                            </button>
                            <button
                                type="button"
                                class="rill-btn"
                                data-testid="chat-endpoint-revert"
                                on:click=move |_| ctx.revert_link()
                            >
                                {move || format!("{} {}", t().chat_link_back, ctx.own_host())}
                            </button>
                        </div>
                    </div>
                </Show>
                <Show when=move || show_settings.get()>
                    <SettingsPanel ctx=ctx />
                </Show>
                <storage_notice::StorageNotice ctx=ctx />
                {move || {
                    ctx.notice
                        .get()
                        .map(|n| {
                            view! {
                                <div class="rill-notice" role="status" data-testid="chat-notice">
                                    <span>{n}</span>
                                    <button
                                        type="button"
                                        class="rill-icon-btn"
                                        aria-label=move || t().chat_dismiss
                                        on:click=move |_| ctx.notice.set(None)
                                    >
                                        "×"
                                    </button>
                                </div>
                            }
                        })
                }}
                // Focusable so the conversation scrolls from the keyboard also when it holds no
                // link or button (axe: scrollable-region-focusable, WCAG 2.1.1).
                <div class="rill-chat-scroll" tabindex="0" node_ref=scroller on:scroll=on_scroll>
                    <div
                        class="rill-messages"
                        role="log"
                        aria-live="off"
                        aria-label=move || t().chat_messages
                        aria-busy=move || ctx.streaming.get().is_some().to_string()
                        data-testid="chat-log"
                        node_ref=messages_el
                        on:click=on_log_click
                    >
                        <Show when=move || rows_len() == 0>
                            <div class="rill-empty">
                                <p class="rill-empty-title" data-testid="chat-greeting">
                                    {
                                        let greeting = greeting.clone();
                                        move || greeting.clone().unwrap_or_else(|| t().chat_empty_title.to_string())
                                    }
                                </p>
                                <p class="rill-muted">{move || t().chat_empty_body}</p>
                            </div>
                        </Show>
                        <div
                            class="rill-log-spacer"
                            aria-hidden="true"
                            style:display=move || { if spacers.get().0 > 0 { "block" } else { "none" } }
                            style:height=move || format!("{}px", spacers.get().0)
                        ></div>
                        <For
                            each=move || {
                                moved.track();
                                ctx.rows.with(|rows| {
                                    let first = rows.first().map(|r| r.key);
                                    let mut range = (0, 0);
                                    window.update_value(|w| range = w.fit(first, rows.len()));
                                    rows.get(range.0..range.1).map(<[_]>::to_vec).unwrap_or_default()
                                })
                            }
                            key=|row| row.key
                            children=move |row| {
                                let id = row.id;
                                let is_last = Signal::derive(move || ctx.rows.with(|r| r.last().map(|l| l.id) == Some(id)));
                                view! { <MessageView row=row ctx=ctx is_last=is_last /> }
                            }
                        />
                        <div
                            class="rill-log-spacer"
                            aria-hidden="true"
                            style:display=move || { if spacers.get().1 > 0 { "block" } else { "none" } }
                            style:height=move || format!("{}px", spacers.get().1)
                        ></div>
                    </div>
                </div>
                <Show when=move || !at_bottom.get() && rows_len() != 0>
                    <button
                        type="button"
                        class="rill-btn rill-jump"
                        data-testid="chat-jump"
                        on:click=move |_| {
                            hold_bottom();
                            scroll_to_bottom();
                        }
                    >
                        {move || t().chat_jump}
                    </button>
                </Show>
                <form
                    class="rill-composer"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        send();
                    }
                >
                    <textarea
                        class="rill-textarea"
                        rows="2"
                        node_ref=input
                        data-testid="chat-input"
                        placeholder=move || t().chat_placeholder
                        aria-label=move || t().chat_placeholder
                        prop:value=move || draft.get()
                        on:input=move |ev| {
                            // The first reply will need the markdown module: load it now.
                            ctx.warm_markdown();
                            draft.set(event_target_value(&ev));
                        }
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            // Enter sends, Shift+Enter breaks the line; an IME composition
                            // (Chinese input) confirms with Enter and must not send.
                            if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() && ev.key_code() != 229 {
                                ev.prevent_default();
                                send();
                            }
                        }
                    ></textarea>
                    <Show
                        when=move || ctx.streaming.get().is_some()
                        fallback=move || {
                            view! {
                                <button
                                    type="submit"
                                    class="rill-btn rill-btn-primary"
                                    data-testid="chat-send"
                                    disabled=move || draft.with(|d| d.trim().is_empty())
                                >
                                    {move || t().chat_send}
                                </button>
                            }
                        }
                    >
                        <button
                            type="button"
                            class="rill-btn rill-btn-danger"
                            data-testid="chat-stop"
                            title=move || t().chat_stop_hint
                            on:click=move |_| ctx.stop()
                        >
                            {move || t().chat_stop}
                        </button>
                    </Show>
                </form>
                <div class="rill-sr-only" aria-live="polite" data-testid="chat-announcer">
                    {move || ctx.announce.get()}
                </div>
            </div>
        </section>
    }
}
