//! Shared by the browser tests: the rill-server URL that `./x test` passes at build time,
//! and a sleep on the browser's timer.

use wasm_bindgen::JsCast;

/// The rill-server these tests talk to (`RILL_TEST_SERVER`, set by `./x test`).
#[allow(dead_code)] // not every test file talks to the server
pub fn server() -> &'static str {
    option_env!("RILL_TEST_SERVER").unwrap_or("http://127.0.0.1:8844")
}

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w
                .set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
