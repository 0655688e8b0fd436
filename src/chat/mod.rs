//! Chat: conversations, wire formats and the reading of streamed replies (all pure), and
//! local persistence.
//!
//! Nothing here touches the DOM; `store` is the only part that calls a browser API
//! (localStorage), through `crate::browser`.

pub mod conversation;
pub mod extras;
pub mod format;
pub mod keys;
pub mod log_window;
pub mod reply;
pub mod resume;
pub mod role;
pub mod settings;
pub mod stall;
pub mod store;
