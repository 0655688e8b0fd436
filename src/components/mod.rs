//! Leptos views, one per file. Views render state and send user intent; they never parse
//! wire data and never put remote text into `innerHTML`.

pub mod chat;
pub mod clock;
pub mod clock_log;
pub mod feeds;
pub mod inline;
pub mod inspect;
pub mod inspect_charts;
pub mod inspect_record;
