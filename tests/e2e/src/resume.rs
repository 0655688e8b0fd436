//! What the resumable-reply tests (`resume.rs`, `engine_replies.rs`) share: the reply the demo
//! model echoes, known in advance, and the check that a reattached reply completes it.

use std::time::Duration;

use crate::Browser;

/// The assistant's reply messages.
pub const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";
/// Long enough for a slow reply: it must not end before the test reloads.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// A reply of about 90 tokens, known in advance.
pub fn words() -> String {
    (0..45)
        .map(|i| format!("word{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The prompt the demo model answers with exactly [`words`].
pub fn prompt() -> String {
    format!("{}[[echo]]", words())
}

/// After a reload: the reply is the one message, streaming again with at least the text
/// it had, then done with exactly the model's text.
pub async fn reattached_and_done(browser: &Browser, before: &str) {
    let (again, _) = browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |t, s| s == "streaming" && t.len() >= before.len(),
            REPLY_TIMEOUT,
        )
        .await;
    assert!(
        again.starts_with(before.trim_end()),
        "{again:?} after {before:?}"
    );
    let (done, _) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "done", REPLY_TIMEOUT)
        .await;
    assert_eq!(done, words(), "the same reply, whole, once");
    assert_eq!(browser.count(ASSISTANT).await, 1, "one reply message");
}
