//! Every user-visible string, in English and 简体中文, from one place.
//!
//! Pure: views ask [`strings`] for a table and never hold literals of their own, so a
//! missing translation is a compile error (each table is a struct literal).

/// Interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The `lang` parameter value and the BCP 47 tag for `<html lang>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// Parses `en`, `zh`, `zh-CN`, `zh-Hans` and the like (case-insensitive).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s == "en" || s.starts_with("en-") {
            Some(Lang::En)
        } else if s == "zh" || s.starts_with("zh-") {
            Some(Lang::Zh)
        } else {
            None
        }
    }

    /// Picks the first supported language of the browser's list, English otherwise.
    pub fn from_browser<'a>(preferred: impl IntoIterator<Item = &'a str>) -> Lang {
        preferred
            .into_iter()
            .find_map(Lang::parse)
            .unwrap_or_default()
    }

    /// The other language, for the switch button.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }
}

/// One table of interface strings.
#[derive(Debug)]
pub struct Strings {
    pub app_tagline: &'static str,
    pub nav_label: &'static str,
    pub view_chat: &'static str,
    pub view_clock: &'static str,
    pub view_inspect: &'static str,
    pub theme_toggle: &'static str,
    pub theme_light: &'static str,
    pub theme_dark: &'static str,
    pub lang_switch: &'static str,
    pub state_connecting: &'static str,
    pub state_open: &'static str,
    pub state_reconnecting: &'static str,
    pub state_closed: &'static str,
    pub state_error: &'static str,
    pub clock_title: &'static str,
    pub clock_url_label: &'static str,
    pub clock_connect: &'static str,
    pub clock_transport: &'static str,
    pub clock_disconnect: &'static str,
    pub clock_connected_at: &'static str,
    pub clock_time: &'static str,
    pub clock_last_id: &'static str,
    pub clock_retry: &'static str,
    pub clock_retry_hidden: &'static str,
    pub clock_retry_observed: &'static str,
    pub clock_next_attempt: &'static str,
    pub clock_reconnecting_for: &'static str,
    pub clock_events: &'static str,
    pub clock_log: &'static str,
    pub clock_log_empty: &'static str,
    pub none: &'static str,
    pub seconds: &'static str,
    pub placeholder_title: &'static str,
    pub placeholder_body: &'static str,
    pub placeholder_try_clock: &'static str,
}

const EN: Strings = Strings {
    app_tagline: "Server-Sent Events, rendered",
    nav_label: "Views",
    view_chat: "Chat",
    view_clock: "Clock",
    view_inspect: "Inspect",
    theme_toggle: "Switch colour theme",
    theme_light: "Light",
    theme_dark: "Dark",
    lang_switch: "中文",
    state_connecting: "Connecting",
    state_open: "Open",
    state_reconnecting: "Reconnecting",
    state_closed: "Closed",
    state_error: "Error",
    clock_title: "Live clock feed",
    clock_url_label: "Stream URL",
    clock_connect: "Connect",
    clock_transport: "Transport: the browser's EventSource, or fetch with rill's decoder",
    clock_disconnect: "Disconnect",
    clock_connected_at: "Connected at (server)",
    clock_time: "Server time",
    clock_last_id: "Last event ID",
    clock_retry: "Reconnect delay",
    clock_retry_hidden: "set by the server; EventSource does not reveal it",
    clock_retry_observed: "observed",
    clock_next_attempt: "next attempt in",
    clock_reconnecting_for: "waiting for the browser's retry:",
    clock_events: "Events received",
    clock_log: "Event log",
    clock_log_empty: "No events yet.",
    none: "—",
    seconds: "s",
    placeholder_title: "Chat is coming",
    placeholder_body: "Streaming chat with OpenAI-compatible servers, Ollama and the original summary endpoint will live here.",
    placeholder_try_clock: "Meanwhile, open the live clock feed",
};

const ZH: Strings = Strings {
    app_tagline: "服务器推送事件，实时呈现",
    nav_label: "视图",
    view_chat: "对话",
    view_clock: "时钟",
    view_inspect: "检查",
    theme_toggle: "切换配色主题",
    theme_light: "浅色",
    theme_dark: "深色",
    lang_switch: "English",
    state_connecting: "连接中",
    state_open: "已连接",
    state_reconnecting: "重连中",
    state_closed: "已关闭",
    state_error: "出错",
    clock_title: "实时时钟推送",
    clock_url_label: "事件流地址",
    clock_connect: "连接",
    clock_transport: "传输方式：浏览器自带的 EventSource，或 fetch 加 rill 解码器",
    clock_disconnect: "断开",
    clock_connected_at: "连接时间（服务器）",
    clock_time: "服务器时间",
    clock_last_id: "最后事件 ID",
    clock_retry: "重连间隔",
    clock_retry_hidden: "由服务器设定，EventSource 不公开该值",
    clock_retry_observed: "实测",
    clock_next_attempt: "下次尝试还有",
    clock_reconnecting_for: "等待浏览器重试：",
    clock_events: "已收事件",
    clock_log: "事件日志",
    clock_log_empty: "尚无事件。",
    none: "—",
    seconds: "秒",
    placeholder_title: "对话功能即将推出",
    placeholder_body: "这里将支持与 OpenAI 兼容服务、Ollama 以及原始摘要接口的流式对话。",
    placeholder_try_clock: "现在可以先看看实时时钟推送",
};

/// The string table for `lang`.
pub fn strings(lang: Lang) -> &'static Strings {
    match lang {
        Lang::En => &EN,
        Lang::Zh => &ZH,
    }
}

/// A stream error in words, naming what the server sent where it is known.
pub fn describe_error(kind: &crate::transport::ErrorKind, lang: Lang) -> String {
    use crate::transport::ErrorKind as K;
    let zh = lang == Lang::Zh;
    match kind {
        K::Network if zh => "连接断开或无法建立".into(),
        K::Network => "connection lost or refused".into(),
        K::Offline if zh => "浏览器处于离线状态，恢复联网后自动重连".into(),
        K::Offline => "the browser is offline; reconnecting when it is back online".into(),
        K::Refused if zh => "服务器返回了非 200 状态码或非 text/event-stream 的 Content-Type，EventSource 不会再重试（它不提供具体原因；改用 transport=fetch 可查看）".into(),
        K::Refused => "the server answered with a non-200 status or a Content-Type other than text/event-stream; EventSource gives up on both and does not say which (transport=fetch shows it)".into(),
        K::Http { status, content_type, message } => {
            let mut s = format!("HTTP {status}");
            if !message.is_empty() {
                s.push_str(": ");
                s.push_str(message);
            }
            if !content_type.is_empty() && message.is_empty() {
                s.push_str(&format!(" ({content_type})"));
            }
            s
        }
        K::ContentType { status, received } if zh => format!(
            "服务器返回 HTTP {status}，Content-Type 为 {}，而不是 text/event-stream；浏览器同样会拒绝，不再重连",
            if received.is_empty() { "（无）" } else { received }
        ),
        K::ContentType { status, received } => format!(
            "the server answered HTTP {status} with Content-Type {} instead of text/event-stream; browsers refuse that too, so rill does not reconnect",
            if received.is_empty() { "(none)" } else { received }
        ),
        K::NoContent if zh => "服务器返回 204 No Content：要求客户端停止重连".into(),
        K::NoContent => "the server answered 204 No Content: it asks clients to stop reconnecting".into(),
        K::Decode(message) if zh => format!("无法解析事件流：{message}"),
        K::Decode(message) => format!("the stream could not be decoded: {message}"),
        K::BadUrl(message) if zh => format!("无法打开该地址：{message}"),
        K::BadUrl(message) => format!("the URL cannot be opened: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_languages_pick_first_supported() {
        assert_eq!(Lang::from_browser(["fr-FR", "zh-CN", "en"]), Lang::Zh);
        assert_eq!(Lang::from_browser(["en-GB"]), Lang::En);
        assert_eq!(Lang::from_browser(["de"]), Lang::En);
        assert_eq!(Lang::from_browser([]), Lang::En);
    }

    #[test]
    fn lang_parse_accepts_tags() {
        assert_eq!(Lang::parse("ZH-hans"), Some(Lang::Zh));
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("english"), None);
    }

    #[test]
    fn errors_name_status_and_content_type() {
        use crate::transport::ErrorKind;
        let http = ErrorKind::Http {
            status: 500,
            content_type: "application/json".into(),
            message: "boom".into(),
        };
        assert_eq!(describe_error(&http, Lang::En), "HTTP 500: boom");
        assert_eq!(describe_error(&http, Lang::Zh), "HTTP 500: boom");
        let bare = ErrorKind::Http {
            status: 502,
            content_type: "text/html".into(),
            message: String::new(),
        };
        assert_eq!(describe_error(&bare, Lang::En), "HTTP 502 (text/html)");
        let ct = ErrorKind::ContentType {
            status: 200,
            received: "text/html".into(),
        };
        let en = describe_error(&ct, Lang::En);
        assert!(
            en.contains("HTTP 200") && en.contains("text/html") && en.contains("text/event-stream"),
            "{en}"
        );
        assert!(describe_error(&ct, Lang::Zh).contains("text/html"));
    }

    #[test]
    fn tables_differ_and_have_no_empty_strings() {
        let en = format!("{:?}", strings(Lang::En));
        let zh = format!("{:?}", strings(Lang::Zh));
        assert_ne!(en, zh);
        assert!(!en.contains(": \"\""), "empty English string: {en}");
        assert!(!zh.contains(": \"\""), "empty Chinese string: {zh}");
    }
}
