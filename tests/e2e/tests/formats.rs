//! Every chat format against the real rill-server (no mock): the demo model's `[[think]]` and
//! `[[tool]]` markers show a reasoning block apart from the answer (closed once the answer
//! starts), a tool-call card and the usage line, for OpenAI chat, Ollama, Anthropic Messages
//! and OpenAI Responses; and `[[think-inline]]` for OpenAI.

use rill_e2e::{encode, json_str, Browser, RillServer};

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
        browser
            .send_chat("Weather in Paris? [[think]] [[tool]]")
            .await;
        let got = browser.last_reply_parts().await;
        assert!(
            json_str(&got, "answer").contains("\u{201c}Weather in Paris?\u{201d}"),
            "{format}: {got}"
        );
        assert!(
            !json_str(&got, "answer").contains("The user asks"),
            "{format}: {got}"
        );
        assert!(
            json_str(&got, "reasoning").contains("The user asks about"),
            "{format}: {got}"
        );
        assert!(
            json_str(&got, "reasoning")
                .to_lowercase()
                .contains("thought for"),
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
        let usage = json_str(&got, "usage");
        assert!(usage.contains(" out"), "{format}: {usage}");
    }

    // Inline `<think>` tags, OpenAI format.
    browser
        .goto(&format!("{}/?view=chat&format=openai&lang=en", server.url))
        .await;
    browser.send_chat("Inline please [[think-inline]]").await;
    let got = browser.last_reply_parts().await;
    assert!(
        json_str(&got, "reasoning").contains("The user asks about"),
        "{got}"
    );
    assert!(!json_str(&got, "answer").contains("<think>"), "{got}");
    assert!(!json_str(&got, "answer").contains("The user asks"), "{got}");
    assert!(json_str(&got, "answer").contains("Inline please"), "{got}");
    browser.close().await;
}
