//! Every chat format against the real rill-server (no mock): the demo model's `[[think]]` and
//! `[[tool]]` markers show a reasoning block apart from the answer (closed once the answer
//! starts), a tool-call card and the usage line, for OpenAI chat, Ollama, Anthropic Messages
//! and OpenAI Responses; and `[[think-inline]]` for OpenAI.

use rill_e2e::{encode, testid, Browser, RillServer, WAIT};

const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";

async fn send(browser: &Browser, text: &str) {
    browser.type_into(&testid("chat-input"), text).await;
    browser.click(&testid("chat-send")).await;
}

/// The last reply's answer, reasoning, tool-call cards and usage line, once it is done.
async fn last_reply(browser: &Browser) -> serde_json::Value {
    browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "done", WAIT)
        .await;
    browser
        .js("const art = [...document.querySelectorAll('article[data-role=assistant]')].pop();
             const q = (id) => art.querySelector(`[data-testid=${id}]`);
             const reasoning = q('message-reasoning');
             return {
               answer: q('message').innerText.trim(),
               reasoning: reasoning ? reasoning.textContent : null,
               reasoningInsideMessage: !!q('message').querySelector('[data-testid=message-reasoning]'),
               reasoningOpen: reasoning ? reasoning.open : null,
               tools: [...art.querySelectorAll('[data-testid=message-tool-call]')].map(e => e.innerText),
               usage: q('message-usage') ? q('message-usage').innerText : null,
             };")
        .await
}

fn s(v: &serde_json::Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn think_and_tool_markers_in_every_format_against_rill_server() {
    let dist = rill_e2e::dist_dir();
    let server = RillServer::start(
        "127.0.0.1:0",
        &[
            "--dist",
            dist.to_str().expect("utf-8 path"),
            "--rate",
            "500",
        ],
    );
    let browser = Browser::start().await;
    for (format, path) in [
        ("openai", "/v1/chat/completions"),
        ("ollama", "/api/chat"),
        ("anthropic", "/v1/messages"),
        ("responses", "/v1/responses"),
    ] {
        let endpoint = format!("{}{path}", server.url);
        browser
            .goto(&format!(
                "{}/?view=chat&format={format}&model=rill-demo&lang=en&endpoint={}",
                server.url,
                encode(&endpoint)
            ))
            .await;
        send(&browser, "Weather in Paris? [[think]] [[tool]]").await;
        let got = last_reply(&browser).await;
        assert!(
            s(&got, "answer").contains("\u{201c}Weather in Paris?\u{201d}"),
            "{format}: {got}"
        );
        assert!(
            !s(&got, "answer").contains("The user asks"),
            "{format}: {got}"
        );
        assert!(
            s(&got, "reasoning").contains("The user asks about"),
            "{format}: {got}"
        );
        assert!(
            s(&got, "reasoning").to_lowercase().contains("thought for"),
            "{format}: {got}"
        );
        assert_eq!(got["reasoningInsideMessage"], false, "{format}: {got}");
        assert_eq!(got["reasoningOpen"], false, "{format}: {got}");
        let tools = got["tools"].as_array().cloned().unwrap_or_default();
        assert_eq!(tools.len(), 1, "{format}: {got}");
        let card = tools[0].as_str().unwrap_or_default();
        assert!(
            card.contains("get_weather") && card.contains("\"location\": \"Paris\""),
            "{format}: {card}"
        );
        let usage = s(&got, "usage");
        assert!(usage.contains(" out"), "{format}: {usage}");
    }

    // Inline `<think>` tags, OpenAI format.
    browser
        .goto(&format!("{}/?view=chat&format=openai&lang=en", server.url))
        .await;
    send(&browser, "Inline please [[think-inline]]").await;
    let got = last_reply(&browser).await;
    assert!(
        s(&got, "reasoning").contains("The user asks about"),
        "{got}"
    );
    assert!(!s(&got, "answer").contains("<think>"), "{got}");
    assert!(!s(&got, "answer").contains("The user asks"), "{got}");
    assert!(s(&got, "answer").contains("Inline please"), "{got}");
    browser.close().await;
}
