//! Leptos views, one per file. Views render state and send user intent; they never parse
//! wire data and never put remote text into `innerHTML`.

pub mod chat;
pub mod clock;
pub mod inline;
pub mod inspect;
