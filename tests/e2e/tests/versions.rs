//! Versions and branches, end to end against rill-server's demo model: regenerating keeps
//! each earlier reply as a version (`‹ 2/3 ›`), editing a question starts a branch and keeps
//! the old one, only the shown branch is sent to the model, and reloads, exports and imports
//! keep them all. axe checks the chat with switchers in both themes; screenshots at 390 px.
//!
//! The demo model answers the same question the same way, so the replies are told apart by
//! the system prompt: `[[system]]` makes the reply exactly the system prompt, which the test
//! changes in the settings before each regenerate.

use rill_e2e::{poll, testid, Browser, RillServer, WAIT};

const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";
const USER: &str = "[data-testid=\"message\"][data-role=\"user\"]";
const REPLY_COUNTER: &str = "article[data-role=\"assistant\"] [data-testid=\"version-counter\"]";
const REPLY_PREV: &str = "article[data-role=\"assistant\"] [data-testid=\"version-prev\"]";
const REPLY_NEXT: &str = "article[data-role=\"assistant\"] [data-testid=\"version-next\"]";
const USER_COUNTER: &str = "article[data-role=\"user\"] [data-testid=\"version-counter\"]";
const USER_PREV: &str = "article[data-role=\"user\"] [data-testid=\"version-prev\"]";
const USER_NEXT: &str = "article[data-role=\"user\"] [data-testid=\"version-next\"]";

/// The built app, with demo replies at 400 tokens/s.
fn app() -> RillServer {
    RillServer::app_with(&["--rate", "400"])
}

fn chat_url(app: &RillServer, lang: &str, theme: &str) -> String {
    format!(
        "{}/?view=chat&format=openai&lang={lang}&theme={theme}",
        app.url
    )
}

async fn send(browser: &Browser, text: &str) {
    browser.type_into(&testid("chat-input"), text).await;
    browser.click(&testid("chat-send")).await;
}

/// Waits for the last reply to be done with exactly `text`.
async fn done_with(browser: &Browser, text: &str) {
    browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |t, s| s == "done" && t == text,
            WAIT,
        )
        .await;
}

/// Sets the system prompt as a user would (the settings field saves on change).
async fn set_system(browser: &Browser, text: &str) {
    let script = format!(
        "const s = document.querySelector('[data-testid=chat-system]');
         s.value = {}; s.dispatchEvent(new Event('change', {{bubbles: true}})); return true;",
        serde_json::to_string(text).expect("json string")
    );
    browser.js(&script).await;
}

/// The rendered texts of every element matching `css`, in order.
async fn texts(browser: &Browser, css: &str) -> Vec<String> {
    let value = browser
        .client
        .execute(
            "return [...document.querySelectorAll(arguments[0])].map((e) => e.innerText.trim());",
            vec![serde_json::json!(css)],
        )
        .await
        .expect("texts");
    serde_json::from_value(value).unwrap_or_default()
}

async fn counter_is(browser: &Browser, css: &str, want: &str) {
    browser.wait_text(css, |t| t == want, WAIT).await;
}

/// The `data-testid` of the focused element.
async fn focused(browser: &Browser) -> String {
    browser
        .js("return document.activeElement && document.activeElement.getAttribute('data-testid') || ''")
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn no_axe_violations(browser: &Browser, page: &str) {
    let violations = browser.axe_violations(page).await;
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerating_twice_keeps_three_versions_to_switch_between() {
    let app = app();
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app, "en", "light")).await;
    browser.click(&testid("chat-settings-toggle")).await;
    set_system(&browser, "The first reply.").await;
    send(&browser, "[[system]]Which reply is this?").await;
    done_with(&browser, "The first reply.").await;
    assert_eq!(
        browser.count(&testid("version-counter")).await,
        0,
        "one reply, no switcher"
    );

    set_system(&browser, "The second reply.").await;
    browser.click(&testid("message-regenerate")).await;
    done_with(&browser, "The second reply.").await;
    counter_is(&browser, REPLY_COUNTER, "2/2").await;
    set_system(&browser, "The third reply.").await;
    browser.click(&testid("message-regenerate")).await;
    done_with(&browser, "The third reply.").await;
    counter_is(&browser, REPLY_COUNTER, "3/3").await;
    assert_eq!(browser.count(ASSISTANT).await, 1, "one version shown");
    assert_eq!(
        browser.count(&testid("version-counter")).await,
        1,
        "the question has no versions"
    );

    // Back: each version's exact text; the focus stays on the button that was pressed and
    // the new position is announced.
    browser.click(REPLY_PREV).await;
    counter_is(&browser, REPLY_COUNTER, "2/3").await;
    done_with(&browser, "The second reply.").await;
    poll("the focus on the new previous button", WAIT, || async {
        (focused(&browser).await == "version-prev").then_some(())
    })
    .await;
    browser
        .wait_text(&testid("chat-announcer"), |t| t == "Version 2 of 3", WAIT)
        .await;
    browser.click(REPLY_PREV).await;
    counter_is(&browser, REPLY_COUNTER, "1/3").await;
    done_with(&browser, "The first reply.").await;
    assert_eq!(
        browser
            .wait_attr(REPLY_PREV, "aria-disabled", |v| v == "true", WAIT)
            .await,
        "true",
        "the first version has none before it"
    );
    browser.click(REPLY_NEXT).await;
    counter_is(&browser, REPLY_COUNTER, "2/3").await;
    done_with(&browser, "The second reply.").await;
    browser.click(REPLY_NEXT).await;
    counter_is(&browser, REPLY_COUNTER, "3/3").await;
    done_with(&browser, "The third reply.").await;
    let mut names = Vec::new();
    for css in [REPLY_PREV, REPLY_NEXT] {
        names.push(browser.wait_attr(css, "aria-label", |_| true, WAIT).await);
    }
    assert_eq!(names, ["Previous version", "Next version"]);

    // A reload keeps all three, the last shown one shown.
    browser.reload().await;
    counter_is(&browser, REPLY_COUNTER, "3/3").await;
    done_with(&browser, "The third reply.").await;
    browser.click(REPLY_PREV).await;
    browser.click(REPLY_PREV).await;
    counter_is(&browser, REPLY_COUNTER, "1/3").await;
    done_with(&browser, "The first reply.").await;
    browser.screenshot("versions-light").await;
    no_axe_violations(&browser, "versions, light").await;

    browser.goto(&chat_url(&app, "en", "dark")).await;
    counter_is(&browser, REPLY_COUNTER, "1/3").await;
    done_with(&browser, "The first reply.").await;
    browser.screenshot("versions-dark").await;
    no_axe_violations(&browser, "versions, dark").await;

    // A phone's width, in both languages.
    browser.set_viewport(390, 844).await;
    browser.goto(&chat_url(&app, "en", "light")).await;
    counter_is(&browser, REPLY_COUNTER, "1/3").await;
    done_with(&browser, "The first reply.").await;
    browser.screenshot("versions-390").await;
    no_axe_violations(&browser, "versions, 390 px").await;
    browser.goto(&chat_url(&app, "zh", "dark")).await;
    counter_is(&browser, REPLY_COUNTER, "1/3").await;
    browser
        .wait_attr(REPLY_NEXT, "aria-label", |v| v == "下一个版本", WAIT)
        .await;
    browser.click(REPLY_NEXT).await;
    browser
        .wait_text(
            &testid("chat-announcer"),
            |t| t == "第 2 个版本，共 3 个",
            WAIT,
        )
        .await;
    browser.screenshot("versions-390-zh-dark").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_question_starts_a_branch_and_keeps_the_old_one() {
    let app = app();
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app, "en", "light")).await;
    send(&browser, "[[echo]]question one").await;
    done_with(&browser, "question one").await;
    send(&browser, "[[echo]]question two").await;
    done_with(&browser, "question two").await;

    // Edit the first question: its branch replaces everything from there on.
    browser.click(&testid("message-edit")).await;
    browser
        .type_into(
            &testid("message-edit-input"),
            "[[echo]]question one, edited",
        )
        .await;
    browser.click(&testid("message-edit-save")).await;
    done_with(&browser, "question one, edited").await;
    counter_is(&browser, USER_COUNTER, "2/2").await;
    assert_eq!(
        texts(&browser, USER).await,
        ["[[echo]]question one, edited"]
    );
    // Only the shown branch is sent: the demo model counts the messages it was given.
    send(&browser, "How many messages?").await;
    let (reply, _) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "done", WAIT)
        .await;
    assert!(reply.contains("3 in this conversation"), "{reply}");

    // Back to the old branch: the old exchange, whole.
    browser.click(USER_PREV).await;
    counter_is(&browser, USER_COUNTER, "1/2").await;
    assert_eq!(
        texts(&browser, USER).await,
        ["[[echo]]question one", "[[echo]]question two"]
    );
    assert_eq!(
        texts(&browser, ASSISTANT).await,
        ["question one", "question two"]
    );
    browser.click(USER_NEXT).await;
    counter_is(&browser, USER_COUNTER, "2/2").await;
    assert_eq!(
        texts(&browser, USER).await,
        ["[[echo]]question one, edited", "How many messages?"]
    );

    // A reload keeps both branches.
    browser.reload().await;
    counter_is(&browser, USER_COUNTER, "2/2").await;
    browser.click(USER_PREV).await;
    counter_is(&browser, USER_COUNTER, "1/2").await;
    assert_eq!(
        texts(&browser, ASSISTANT).await,
        ["question one", "question two"]
    );

    // The JSON export (the file the button offers) holds both; imported into a browser
    // that has nothing, the conversation comes back with its branches.
    let export = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const create = URL.createObjectURL;
             URL.createObjectURL = (blob) => {
               URL.createObjectURL = create;
               blob.text().then(done, (e) => done('failed: ' + e));
               return create.call(URL, blob);
             };
             document.querySelector('[data-testid=chat-export-json]').click();",
            Vec::new(),
        )
        .await
        .expect("export");
    let export = export.as_str().unwrap_or_default().to_string();
    assert!(
        export.contains("\"versions\"") && export.contains("question one, edited"),
        "{export}"
    );
    let other = Browser::start().await;
    other.goto(&chat_url(&app, "en", "light")).await;
    poll("the import field", WAIT, || async {
        (other.count(&testid("chat-import")).await == 1).then_some(())
    })
    .await;
    other
        .js(&format!(
            "const dt = new DataTransfer();
             dt.items.add(new File([{}], 'chats.json', {{type: 'application/json'}}));
             const input = document.querySelector('[data-testid=chat-import]');
             input.files = dt.files;
             input.dispatchEvent(new Event('change', {{bubbles: true}}));
             return true;",
            serde_json::to_string(&export).expect("json string")
        ))
        .await;
    counter_is(&other, USER_COUNTER, "1/2").await;
    assert_eq!(
        texts(&other, ASSISTANT).await,
        ["question one", "question two"]
    );
    other.click(USER_NEXT).await;
    counter_is(&other, USER_COUNTER, "2/2").await;
    assert_eq!(
        texts(&other, USER).await,
        ["[[echo]]question one, edited", "How many messages?"]
    );
    other.close().await;
    browser.close().await;
}
