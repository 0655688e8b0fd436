//! Reading the stream inspector (`view=inspect`) from a test: its URL, the listed events,
//! the diagnosis codes, and waiting for events. Used by the inspector, replay and engine
//! tests.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::{poll, testid, Browser, RillServer};

/// The inspector on `stream`, with more URL parameters in `extra` (`&…`).
pub fn inspect_url(app: &RillServer, stream: &str, extra: &str) -> String {
    format!(
        "{}/?view=inspect&stream={}{extra}",
        app.url,
        crate::encode(stream)
    )
}

/// The listed events' (type, id, data) in order.
pub async fn events(browser: &Browser) -> Vec<(String, String, String)> {
    let v = browser
        .js("return [...document.querySelectorAll('[data-testid=inspect-event]')].map(e =>
            [e.dataset.type, e.dataset.id, e.querySelector('[data-testid=inspect-data]').textContent]);")
        .await;
    v.as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    let r = r.as_array()?;
                    Some((
                        r.first()?.as_str()?.to_string(),
                        r.get(1)?.as_str()?.to_string(),
                        r.get(2)?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `data-code` of each diagnosis shown.
pub async fn diagnoses(browser: &Browser) -> BTreeSet<String> {
    let v = browser
        .js("return [...document.querySelectorAll('[data-testid=inspect-diagnosis]')].map(e => e.dataset.code);")
        .await;
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until at least `n` events are listed.
pub async fn wait_events(browser: &Browser, n: usize, timeout: Duration) {
    poll(&format!("{n} inspect-event elements"), timeout, || async {
        (browser.count(&testid("inspect-event")).await >= n).then_some(())
    })
    .await;
}
