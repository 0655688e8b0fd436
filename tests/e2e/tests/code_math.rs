//! Highlighted code and math in streamed replies, end to end against rill-server's demo model:
//! `[[sample:code]]` gives fenced code in several languages, `[[sample:math]]` TeX math in
//! every delimiter; both render through the markdown module into token spans and MathML. A
//! hostile reply (`\href{javascript:…}`, `<script>` in code) runs nothing and links nowhere,
//! and axe passes on a reply with code and math in light and dark, also at 390 px.

use rill_e2e::{testid, Browser, RillServer, WAIT};

const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";

/// The built app, with demo replies at 400 tokens/s.
fn app() -> RillServer {
    RillServer::app_with(&["--rate", "400"])
}

async fn send(browser: &Browser, text: &str) {
    browser.type_into(&testid("chat-input"), text).await;
    browser.click(&testid("chat-send")).await;
}

/// Sends `text` as a paste would put it in the input (typed keys would send at the first
/// line break).
async fn paste_send(browser: &Browser, text: &str) {
    let set = format!(
        "const t = document.querySelector('[data-testid=chat-input]'); t.value = {};
         t.dispatchEvent(new Event('input', {{ bubbles: true }}));",
        serde_json::to_string(text).expect("json")
    );
    browser.js(&set).await;
    browser.click(&testid("chat-send")).await;
}

async fn reply_done(browser: &Browser) -> String {
    browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "done", WAIT)
        .await
        .0
}

/// `[lang, class, text]` of every token span in the last reply.
async fn tokens(browser: &Browser) -> Vec<(String, String, String)> {
    let found = browser
        .js("const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
             return [...m.querySelectorAll('pre code span')].map(s =>
               [s.closest('pre').dataset.lang || '', s.className, s.textContent]);")
        .await;
    found
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    let at = |i: usize| row[i].as_str().unwrap_or_default().to_string();
                    (at(0), at(1), at(2))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn has(tokens: &[(String, String, String)], lang: &str, class: &str, text: &str) -> bool {
    tokens
        .iter()
        .any(|(l, c, t)| l == lang && c == &format!("rill-tok-{class}") && t == text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_is_highlighted_and_math_is_mathml() {
    let app = app();
    let browser = Browser::start().await;
    browser
        .goto(&format!(
            "{}/?view=chat&format=openai&lang=en&theme=light",
            app.url
        ))
        .await;
    send(&browser, "[[sample:code]]").await;
    reply_done(&browser).await;
    let found = tokens(&browser).await;
    for (lang, class, text) in [
        ("rust", "keyword", "fn"),
        ("rust", "function", "bump"),
        ("rust", "type", "i32"),
        ("rust", "comment", "// in place"),
        ("python", "meta", "@dataclass"),
        ("python", "keyword", "def"),
        ("python", "string", "\"\"\"Length of the vector.\"\"\""),
        ("js", "keyword", "const"),
        ("js", "constant", "null"),
        ("json", "property", "\"name\""),
        ("json", "constant", "true"),
        ("bash", "function", "cargo"),
        ("bash", "property", "--release"),
        ("bash", "string", "\"$HOME/dist\""),
        ("html", "tag", "script"),
        ("css", "property", "color"),
        ("sql", "keyword", "SELECT"),
    ] {
        assert!(
            has(&found, lang, class, text),
            "no {class} {text:?} in {lang}: {found:?}"
        );
    }
    // The code's text is intact (spans only wrap it) and the HTML sample stayed text.
    let checks = browser
        .js("const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
             return [m.querySelectorAll('script').length, m.textContent.includes('<script>alert(\"never runs\")</script>'),
                     m.querySelectorAll('pre').length, m.querySelectorAll('.rill-copy-code').length,
                     document.documentElement.scrollWidth <= window.innerWidth];")
        .await;
    assert_eq!(checks[0], 0, "a script element: {checks}");
    assert_eq!(
        checks[1], true,
        "the HTML sample is not shown as text: {checks}"
    );
    assert_eq!(checks[2], 8, "{checks}");
    assert_eq!(checks[3], 8, "every code block has a copy button: {checks}");
    browser.screenshot("code-light").await;

    send(&browser, "[[sample:math]]").await;
    let text = reply_done(&browser).await;
    assert!(text.contains("$5 or $10"), "prices became math: {text}");
    let math = browser
        .js("const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
             const all = [...m.querySelectorAll('math')];
             return [all.length, all.filter(e => e.getAttribute('display') === 'block').length,
                     all.every(e => e.namespaceURI === 'http://www.w3.org/1998/Math/MathML'),
                     m.querySelectorAll('mfrac').length, m.querySelectorAll('msqrt').length,
                     m.querySelectorAll('munderover').length, m.querySelectorAll('mtable').length,
                     m.textContent.includes('ℝ'), m.textContent.includes('$$'),
                     all[0].getBoundingClientRect().width > 0];")
        .await;
    assert_eq!(math[0], 7, "formulas: {math}");
    assert_eq!(math[1], 3, "display formulas: {math}");
    assert_eq!(math[2], true, "MathML namespace: {math}");
    assert!(math[3].as_u64() >= Some(3), "mfrac: {math}");
    assert!(math[4].as_u64() >= Some(2), "msqrt: {math}");
    assert!(math[5].as_u64() >= Some(1), "munderover: {math}");
    assert_eq!(math[6], 2, "mtable: {math}");
    assert_eq!(math[7], true, "\\mathbb: {math}");
    assert_eq!(math[8], false, "math source left: {math}");
    assert_eq!(math[9], true, "math not drawn: {math}");
    browser.screenshot("math-light").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_math_and_code_run_nothing_and_link_nowhere() {
    let app = app();
    let browser = Browser::start().await;
    browser
        .goto(&format!("{}/?view=chat&format=openai&lang=en", app.url))
        .await;
    // The app mounts after the page's load: wait for its input before using it.
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;
    browser
        .js("window.__ran = []; for (const f of ['alert', 'confirm', 'prompt']) window[f] = (x) => window.__ran.push(f + ':' + x);")
        .await;
    let hostile = "[[echo]]Try $\\href{javascript:alert(1)}{click}$ and \\(\\url{javascript:alert(2)}\\) \
                   and $$\\class{x}{y}\\style{background:url(javascript:alert(3))}{z}$$\n\n\
                   ```html\n<script>alert(4)</script><img src=x onerror=alert(5)>\n```\n\n$\\unknowncmd{a}$";
    // Typed keys would send at the first line break: set the text as a paste would.
    let set = format!(
        "const t = document.querySelector('[data-testid=chat-input]'); t.value = {};
         t.dispatchEvent(new Event('input', {{ bubbles: true }}));",
        serde_json::to_string(hostile).expect("json")
    );
    browser.js(&set).await;
    browser.click(&testid("chat-send")).await;
    let text = reply_done(&browser).await;
    let found = browser
        .js("const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
             const bad = [...m.querySelectorAll('*')].filter(e => [...e.attributes].some(a =>
               a.name.startsWith('on') || /javascript:/i.test(a.value) || a.name === 'style' || a.name === 'href' && !/^(https?:|mailto:)/.test(a.value)));
             return [window.__ran, m.querySelectorAll('a').length, m.querySelectorAll('script, img').length,
                     bad.map(e => e.outerHTML.slice(0, 120)), m.querySelectorAll('math').length,
                     m.textContent.includes('\\\\href{javascript:alert(1)}{click}'),
                     m.textContent.includes('\\\\unknowncmd'), m.textContent.includes('<script>alert(4)</script>')];")
        .await;
    assert_eq!(
        found[0],
        serde_json::json!([]),
        "a payload ran: {found} in {text}"
    );
    assert_eq!(found[1], 0, "a link: {found}");
    assert_eq!(found[2], 0, "an element from the text: {found}");
    assert_eq!(
        found[3],
        serde_json::json!([]),
        "dangerous attributes: {found}"
    );
    assert_eq!(found[4], 4, "formulas: {found}");
    assert_eq!(found[5], true, "\\href not shown as text: {found}");
    assert_eq!(found[6], true, "unknown command dropped: {found}");
    assert_eq!(found[7], true, "code not shown as text: {found}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_and_math_pass_axe_in_both_themes_and_on_a_phone() {
    let app = app();
    let browser = Browser::start().await;
    let mut violations = Vec::new();
    for theme in ["light", "dark"] {
        browser
            .goto(&format!(
                "{}/?view=chat&format=openai&lang=en&theme={theme}",
                app.url
            ))
            .await;
        send(&browser, "[[sample:code]]").await;
        reply_done(&browser).await;
        send(&browser, "[[sample:math]]").await;
        reply_done(&browser).await;
        violations.extend(browser.axe_violations(&format!("code-math-{theme}")).await);
        browser.screenshot(&format!("code-math-{theme}")).await;
    }
    browser.set_viewport(390, 844).await;
    browser
        .goto(&format!(
            "{}/?view=chat&format=openai&lang=zh&theme=dark",
            app.url
        ))
        .await;
    send(&browser, "[[sample:code]]").await;
    reply_done(&browser).await;
    send(&browser, "[[sample:math]]").await;
    reply_done(&browser).await;
    violations.extend(browser.axe_violations("code-math-phone").await);
    let fits = browser
        .js("return [document.documentElement.scrollWidth <= window.innerWidth,
                     [...document.querySelectorAll('.rill-md pre')].some(p => p.scrollWidth > p.clientWidth)];")
        .await;
    assert_eq!(fits[0], true, "the page scrolls sideways at 390 px");
    assert_eq!(
        fits[1], true,
        "no code block scrolls within itself at 390 px"
    );
    browser
        .js("document.querySelector('.rill-md pre').scrollIntoView()")
        .await;
    browser.screenshot("code-math-phone-code").await;
    browser
        .js("[...document.querySelectorAll('.rill-md math')].pop().scrollIntoView()")
        .await;
    browser.screenshot("code-math-phone-math").await;
    assert!(violations.is_empty(), "axe:\n{}", violations.join("\n"));
    browser.close().await;
}

/// Which of the two markdown modules the page has fetched, by resource timing:
/// `[markdown module, code-and-math module]`.
async fn modules_loaded(browser: &Browser) -> (bool, bool) {
    let found = browser
        .js(
            "const names = performance.getEntriesByType('resource').map(e => e.name);
             return [names.some(n => /\\/rill-md(_bg\\.wasm|\\.js)/.test(n)),
                     names.some(n => n.includes('/rill-md-rich'))];",
        )
        .await;
    (found[0] == true, found[1] == true)
}

/// The markdown module's size as the page loaded it: `(bytes, bytes on the wire)`.
async fn markdown_module_size(browser: &Browser) -> (u64, u64) {
    let found = browser
        .js("const e = performance.getEntriesByType('resource')
                 .filter(e => /\\/rill-md_bg\\.wasm/.test(e.name)).pop();
             return e ? [e.decodedBodySize, e.encodedBodySize] : [0, 0];")
        .await;
    (
        found[0].as_u64().unwrap_or(0),
        found[1].as_u64().unwrap_or(0),
    )
}

/// `rill-md_bg.wasm` before highlighting and math existed (`./x dist`, 2026-12-03): raw bytes
/// and `gzip -9`. A reply without code or math must not load more than that.
const PLAIN_MODULE_BEFORE: (u64, u64) = (191_660, 86_412);

/// Highlighting and math are a module of their own: a reply with neither loads only the
/// markdown module, no bigger than before code and math existed; the first reply with a
/// fenced code block, or with math, loads the second one and is shown highlighted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_reply_loads_no_code_module_and_code_or_math_loads_it() {
    let app = app();
    for (second, check) in [
        ("[[sample:code]]", "pre code span.rill-tok-keyword"),
        ("[[sample:math]]", "math mfrac"),
    ] {
        let browser = Browser::start().await;
        browser
            .goto(&format!("{}/?view=chat&format=openai&lang=en", app.url))
            .await;
        browser
            .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
            .await;
        paste_send(
            &browser,
            "[[echo]]Just **words**, a list:\n\n- one\n- two\n\nand `inline code`.",
        )
        .await;
        reply_done(&browser).await;
        assert_eq!(
            modules_loaded(&browser).await,
            (true, false),
            "a plain reply loaded the code and math module"
        );
        let (bytes, wire) = markdown_module_size(&browser).await;
        assert!(
            bytes > 0 && bytes <= PLAIN_MODULE_BEFORE.0 && wire <= PLAIN_MODULE_BEFORE.1,
            "a plain reply loaded a markdown module of {bytes} bytes ({wire} compressed on the wire); \
             before code and math it was {} ({} gzip -9)",
            PLAIN_MODULE_BEFORE.0,
            PLAIN_MODULE_BEFORE.1
        );
        send(&browser, second).await;
        reply_done(&browser).await;
        assert_eq!(
            modules_loaded(&browser).await,
            (true, true),
            "{second} did not load the code and math module"
        );
        let shown = browser
            .js(&format!(
                "const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
                 return m.querySelectorAll('{check}').length;"
            ))
            .await;
        assert!(shown.as_u64() > Some(0), "{second}: no {check}");
        // A reload shows the saved replies with the same rendering.
        browser.reload().await;
        browser
            .wait_last(ASSISTANT, "data-state", |_, s| s == "done", WAIT)
            .await;
        let again = browser
            .js(&format!(
                "return document.querySelectorAll('[data-testid=message][data-role=assistant] {check}').length;"
            ))
            .await;
        assert!(
            again.as_u64() > Some(0),
            "{second} after a reload: no {check}"
        );
        browser.close().await;
    }
}

/// Without the code and math module (a missing file), code is shown as plain code and math
/// as its source text, complete, and the reply reaches its end state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_code_module_code_and_math_are_plain_text() {
    let dist = rill_e2e::dist_dir();
    let copy = std::env::temp_dir().join(format!("rill-dist-no-rich-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy).expect("temp dist");
    copy_dir(&dist, &copy, &|name| !name.starts_with("rill-md-rich"));
    let app = RillServer::start(
        "127.0.0.1:0",
        &[
            "--dist",
            copy.to_str().expect("utf-8 path"),
            "--rate",
            "400",
        ],
    );
    let browser = Browser::start().await;
    browser
        .goto(&format!("{}/?view=chat&format=openai&lang=en", app.url))
        .await;
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;
    paste_send(
        &browser,
        "[[echo]]Code:\n\n```rust\nfn main() {}\n```\n\nand $x^2$.",
    )
    .await;
    let shown = reply_done(&browser).await;
    let found = browser
        .js("const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
             return [m.querySelectorAll('pre code').length, m.querySelectorAll('pre code span').length,
                     m.querySelectorAll('math').length, m.querySelector('pre code').textContent];")
        .await;
    assert_eq!(found[0], 1, "{found} in {shown}");
    assert_eq!(found[1], 0, "highlighted without the module: {found}");
    assert_eq!(found[2], 0, "math without the module: {found}");
    assert_eq!(found[3], "fn main() {}\n", "{found}");
    assert!(shown.contains("$x^2$"), "math source not shown: {shown}");
    browser.close().await;
    let _ = std::fs::remove_dir_all(&copy);
}

/// Copies `from` into `to` recursively, the top-level entries whose name `keep` accepts.
fn copy_dir(from: &std::path::Path, to: &std::path::Path, keep: &dyn Fn(&str) -> bool) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let name = entry.file_name();
        if !keep(&name.to_string_lossy()) {
            continue;
        }
        let target = to.join(&name);
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("create dir");
            copy_dir(&entry.path(), &target, &|_| true);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
