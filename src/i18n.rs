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
    /// Above the list of config.json's problems (each names its field, in English).
    pub config_error: &'static str,
    pub none: &'static str,
    pub chat_storage_unreadable: &'static str,
    pub chat_storage_full: &'static str,
    pub chat_storage_blocked: &'static str,
    pub chat_storage_download: &'static str,
    pub chat_continue_prompt: &'static str,
    pub chat_imported: &'static str,
    pub chat_import_failed: &'static str,
    pub chat_you: &'static str,
    pub chat_empty_reply: &'static str,
    pub chat_assistant: &'static str,
    pub chat_system: &'static str,
    pub chat_copy_code: &'static str,
    /// The reasoning block's title while the model thinks, and its label.
    pub chat_thinking: &'static str,
    pub chat_reasoning: &'static str,
    /// A tool-call card's label (before the function's name).
    pub chat_tool_call: &'static str,
    /// The usage line's label, for screen readers.
    pub chat_usage: &'static str,
    pub chat_state_stopped: &'static str,
    pub chat_state_interrupted: &'static str,
    pub chat_edit: &'static str,
    pub chat_edit_send: &'static str,
    pub chat_cancel: &'static str,
    pub chat_copy: &'static str,
    pub chat_continue: &'static str,
    pub chat_regenerate: &'static str,
    pub chat_retry: &'static str,
    pub chat_retry_in: &'static str,
    pub chat_stalled: &'static str,
    pub chat_keep_waiting: &'static str,
    pub chat_seconds: &'static str,
    /// The version switcher of a regenerated reply or an edited message (a group's name).
    pub chat_versions: &'static str,
    pub chat_version_prev: &'static str,
    pub chat_version_next: &'static str,
    pub chat_conversations: &'static str,
    pub chat_new: &'static str,
    pub chat_search: &'static str,
    pub chat_untitled: &'static str,
    pub chat_rename: &'static str,
    pub chat_delete: &'static str,
    pub chat_export_md: &'static str,
    pub chat_export_json: &'static str,
    pub chat_import: &'static str,
    pub chat_format: &'static str,
    pub chat_endpoint: &'static str,
    pub chat_model: &'static str,
    pub chat_temperature: &'static str,
    pub chat_default: &'static str,
    pub chat_system_prompt: &'static str,
    pub chat_api_key: &'static str,
    pub chat_api_key_hint: &'static str,
    pub chat_api_key_for: &'static str,
    pub chat_api_key_pending: &'static str,
    pub chat_api_key_bad_char: &'static str,
    pub chat_api_key_too_long: &'static str,
    pub chat_link_title: &'static str,
    pub chat_link_body: &'static str,
    pub chat_link_use: &'static str,
    pub chat_link_back: &'static str,
    pub chat_endpoint_host: &'static str,
    pub chat_settings: &'static str,
    pub chat_dismiss: &'static str,
    pub chat_messages: &'static str,
    pub chat_empty_title: &'static str,
    pub chat_empty_body: &'static str,
    pub chat_jump: &'static str,
    pub chat_placeholder: &'static str,
    pub chat_send: &'static str,
    pub chat_stop: &'static str,
    pub chat_stop_hint: &'static str,
    /// The button that opens the conversation list on a narrow screen.
    pub chat_list_toggle: &'static str,
    pub chat_list_close: &'static str,
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
    config_error: "This site's settings (config.json) have problems; rill uses its defaults for these:",
    none: "—",
    chat_storage_unreadable: "Saved conversations could not be read; they were kept aside in localStorage",
    chat_storage_full: "This browser refused to save the conversation (storage full or blocked); it stays in this tab until it closes",
    chat_storage_blocked: "Saved conversations could not be read, and storage has no room to keep a copy of them. So that nothing overwrites them, this tab saves nothing until there is room. Download them to keep them safe.",
    chat_storage_download: "Download the saved conversations",
    chat_continue_prompt: "Continue exactly where your previous answer stopped.",
    chat_imported: "Imported conversations:",
    chat_import_failed: "Import failed",
    chat_you: "You",
    chat_empty_reply: "The server closed the stream without sending a reply (it may have failed after it started answering).",
    chat_assistant: "Assistant",
    chat_system: "System",
    chat_copy_code: "Copy code",
    chat_thinking: "Thinking…",
    chat_reasoning: "Reasoning",
    chat_tool_call: "Tool call",
    chat_usage: "Usage",
    chat_state_stopped: "Stopped. The text above is what arrived.",
    chat_state_interrupted: "Interrupted: the stream ended before the reply was complete. The text above is kept.",
    chat_edit: "Edit",
    chat_edit_send: "Save and send",
    chat_cancel: "Cancel",
    chat_copy: "Copy",
    chat_continue: "Continue",
    chat_regenerate: "Regenerate",
    chat_retry: "Retry",
    chat_retry_in: "in",
    chat_stalled: "No data for",
    chat_keep_waiting: "Keep waiting",
    chat_seconds: "s",
    chat_versions: "Versions",
    chat_version_prev: "Previous version",
    chat_version_next: "Next version",
    chat_conversations: "Conversations",
    chat_new: "New chat",
    chat_search: "Search conversations",
    chat_untitled: "New conversation",
    chat_rename: "Rename",
    chat_delete: "Delete",
    chat_export_md: "Export Markdown",
    chat_export_json: "Export JSON",
    chat_import: "Import JSON",
    chat_format: "Format",
    chat_endpoint: "Endpoint URL",
    chat_model: "Model",
    chat_temperature: "Temperature",
    chat_default: "default",
    chat_system_prompt: "System prompt",
    chat_api_key: "API key",
    chat_api_key_hint: "Sent as a header, only to this host; kept in this browser only",
    chat_api_key_for: "API key for",
    chat_api_key_pending: "Confirm the link's endpoint first",
    chat_api_key_bad_char: "A key has only visible ASCII characters (no spaces or line breaks); it was not saved",
    chat_api_key_too_long: "That key is longer than 1024 characters; it was not saved",
    chat_link_title: "This link sends your messages to",
    chat_link_body: "It is not your saved endpoint. No saved API key is sent until you confirm, and the link's endpoint is not saved.",
    chat_link_use: "Use",
    chat_link_back: "Back to",
    chat_endpoint_host: "Endpoint host",
    chat_settings: "Settings",
    chat_dismiss: "Dismiss",
    chat_messages: "Messages",
    chat_empty_title: "Ask anything",
    chat_empty_body: "Replies stream in as they are written. Enter sends, Shift+Enter starts a new line, Esc stops.",
    chat_jump: "Jump to latest ↓",
    chat_placeholder: "Message",
    chat_send: "Send",
    chat_stop: "Stop",
    chat_stop_hint: "Stop the reply (Esc); the text so far is kept",
    chat_list_toggle: "Chats",
    chat_list_close: "Close the list",
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
    config_error: "本站的设置文件（config.json）有问题，以下各项改用默认值：",
    none: "—",
    chat_storage_unreadable: "已保存的对话无法读取，原数据已另存于 localStorage",
    chat_storage_full: "浏览器拒绝保存对话（存储已满或被禁用）；关闭页面前对话仍保留在本页",
    chat_storage_blocked: "已保存的对话无法读取，且存储空间不足以另存副本。为避免覆盖原数据，本页在腾出空间前不会保存任何内容。请下载原数据妥善保存。",
    chat_storage_download: "下载已保存的对话",
    chat_continue_prompt: "请从你上一条回答中断的地方继续。",
    chat_imported: "已导入对话：",
    chat_import_failed: "导入失败",
    chat_you: "你",
    chat_empty_reply: "服务器未发送任何回复就关闭了事件流（可能在开始响应后出错）。",
    chat_assistant: "助手",
    chat_system: "系统",
    chat_copy_code: "复制代码",
    chat_thinking: "思考中…",
    chat_reasoning: "推理过程",
    chat_tool_call: "工具调用",
    chat_usage: "用量",
    chat_state_stopped: "已停止。以上为已收到的内容。",
    chat_state_interrupted: "已中断：回复未完成时连接就结束了。已保留上方内容。",
    chat_edit: "编辑",
    chat_edit_send: "保存并发送",
    chat_cancel: "取消",
    chat_copy: "复制",
    chat_continue: "继续",
    chat_regenerate: "重新生成",
    chat_retry: "重试",
    chat_retry_in: "剩余",
    chat_stalled: "已无数据",
    chat_keep_waiting: "继续等待",
    chat_seconds: "秒",
    chat_versions: "版本",
    chat_version_prev: "上一个版本",
    chat_version_next: "下一个版本",
    chat_conversations: "对话列表",
    chat_new: "新对话",
    chat_search: "搜索对话",
    chat_untitled: "新对话",
    chat_rename: "重命名",
    chat_delete: "删除",
    chat_export_md: "导出 Markdown",
    chat_export_json: "导出 JSON",
    chat_import: "导入 JSON",
    chat_format: "格式",
    chat_endpoint: "接口地址",
    chat_model: "模型",
    chat_temperature: "温度",
    chat_default: "默认",
    chat_system_prompt: "系统提示词",
    chat_api_key: "API 密钥",
    chat_api_key_hint: "作为请求头只发送给此主机；仅保存在本浏览器",
    chat_api_key_for: "API 密钥，用于",
    chat_api_key_pending: "请先确认链接中的接口地址",
    chat_api_key_bad_char: "密钥只能包含可见的 ASCII 字符（不能有空格或换行）；未保存",
    chat_api_key_too_long: "密钥超过 1024 个字符；未保存",
    chat_link_title: "此链接会把你的消息发送到",
    chat_link_body: "这不是你保存的接口地址。在你确认之前不会发送任何已保存的 API 密钥，链接中的接口地址也不会被保存。",
    chat_link_use: "使用",
    chat_link_back: "返回",
    chat_endpoint_host: "接口主机",
    chat_settings: "设置",
    chat_dismiss: "关闭",
    chat_messages: "消息",
    chat_empty_title: "随便问点什么",
    chat_empty_body: "回复会边生成边显示。Enter 发送，Shift+Enter 换行，Esc 停止。",
    chat_jump: "跳到最新 ↓",
    chat_placeholder: "输入消息",
    chat_send: "发送",
    chat_stop: "停止",
    chat_stop_hint: "停止回复（Esc），保留已收到的内容",
    chat_list_toggle: "对话",
    chat_list_close: "关闭列表",
};

/// The string table for `lang`.
pub fn strings(lang: Lang) -> &'static Strings {
    match lang {
        Lang::En => &EN,
        Lang::Zh => &ZH,
    }
}

/// The feed views' strings (clock, inspector): only the feed bundle carries them.
#[derive(Debug)]
pub struct FeedStrings {
    pub state_connecting: &'static str,
    pub state_open: &'static str,
    pub state_reconnecting: &'static str,
    pub state_closed: &'static str,
    pub state_error: &'static str,
    pub state_stalled: &'static str,
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
    pub clock_no_data_for: &'static str,
    pub clock_reconnecting_for: &'static str,
    pub clock_events: &'static str,
    pub clock_log: &'static str,
    pub clock_log_empty: &'static str,
    /// Between the shown and the full size of a cut log entry: "2.0 KB of 10.5 MB".
    pub clock_size_of: &'static str,
    /// The tooltip of that size.
    pub clock_size_title: &'static str,
    pub seconds: &'static str,
}

const FEED_EN: FeedStrings = FeedStrings {
    state_connecting: "Connecting",
    state_open: "Open",
    state_reconnecting: "Reconnecting",
    state_closed: "Closed",
    state_error: "Error",
    state_stalled: "Stalled",
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
    clock_no_data_for: "no data for",
    clock_reconnecting_for: "waiting for the browser's retry:",
    clock_events: "Events received",
    clock_log: "Event log",
    clock_log_empty: "No events yet.",
    clock_size_of: "of",
    clock_size_title: "Only the start of this event is shown",
    seconds: "s",
};

const FEED_ZH: FeedStrings = FeedStrings {
    state_connecting: "连接中",
    state_open: "已连接",
    state_reconnecting: "重连中",
    state_closed: "已关闭",
    state_error: "出错",
    state_stalled: "停滞",
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
    clock_no_data_for: "已无数据",
    clock_reconnecting_for: "等待浏览器重试：",
    clock_events: "已收事件",
    clock_log: "事件日志",
    clock_log_empty: "尚无事件。",
    clock_size_of: "/",
    clock_size_title: "只显示此事件的开头部分",
    seconds: "秒",
};

/// The feed views' strings in `lang`.
pub fn feed_strings(lang: Lang) -> &'static FeedStrings {
    match lang {
        Lang::En => &FEED_EN,
        Lang::Zh => &FEED_ZH,
    }
}

/// The pinned feeds' strings (feed cards in the clock view).
#[derive(Debug)]
pub struct FeedCardStrings {
    pub pin: &'static str,
    pub pin_title: &'static str,
    pub pinned_title: &'static str,
    pub unpin: &'static str,
    pub waiting: &'static str,
    /// "missed 3 events": before and after the count.
    pub missed_before: &'static str,
    pub missed_after: &'static str,
    /// "2 repeated events dropped": after the count.
    pub duplicates_after: &'static str,
    pub notify: &'static str,
    pub notify_on: &'static str,
    pub notify_denied: &'static str,
    pub notify_unsupported: &'static str,
    pub refused_empty: &'static str,
    pub refused_long: &'static str,
    pub refused_pinned: &'static str,
    pub refused_full: &'static str,
    pub sparkline: &'static str,
    pub updates: &'static str,
}

const CARDS_EN: FeedCardStrings = FeedCardStrings {
    pin: "Pin",
    pin_title: "Pin this feed: show the latest value of each event type as a card",
    pinned_title: "Pinned feeds",
    unpin: "Unpin",
    waiting: "Waiting for the first event…",
    missed_before: "missed",
    missed_after: "events",
    duplicates_after: "repeated events dropped",
    notify: "Notify",
    notify_on: "Notifying",
    notify_denied: "Notifications are blocked for this site in the browser's settings.",
    notify_unsupported: "This browser cannot show notifications.",
    refused_empty: "Enter a stream URL to pin.",
    refused_long: "That URL is too long to pin.",
    refused_pinned: "That feed is already pinned.",
    refused_full: "At most 4 feeds can be pinned; unpin one first.",
    sparkline: "Recent values",
    updates: "Updates",
};

const CARDS_ZH: FeedCardStrings = FeedCardStrings {
    pin: "固定",
    pin_title: "固定此推送：每种事件类型显示为一张卡片，展示最新值",
    pinned_title: "已固定的推送",
    unpin: "取消固定",
    waiting: "正在等待第一个事件…",
    missed_before: "漏收",
    missed_after: "个事件",
    duplicates_after: "个重复事件已丢弃",
    notify: "通知",
    notify_on: "通知中",
    notify_denied: "浏览器设置已禁止本站发送通知。",
    notify_unsupported: "此浏览器无法显示通知。",
    refused_empty: "请输入要固定的事件流地址。",
    refused_long: "该地址过长，无法固定。",
    refused_pinned: "该推送已固定。",
    refused_full: "最多固定 4 个推送，请先取消一个。",
    sparkline: "最近数值",
    updates: "更新次数",
};

/// The pinned feeds' strings in `lang`.
pub fn feed_card_strings(lang: Lang) -> &'static FeedCardStrings {
    match lang {
        Lang::En => &CARDS_EN,
        Lang::Zh => &CARDS_ZH,
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
        K::Http {
            status,
            content_type,
            message,
            ..
        } => {
            let mut s = format!("HTTP {status}");
            if !message.is_empty() {
                s.push_str(": ");
                s.push_str(message);
            }
            if !content_type.is_empty() && message.is_empty() {
                s.push_str(&format!(" ({content_type})"));
            }
            if *status == 413 {
                s.push_str(if zh {
                    "。请求超出了服务器接受的大小：rill 只发送对话中最近的、不超过上下文预算（context，单位 KB，由站点或网址设置）的消息；调小预算或缩短这条消息即可发送"
                } else {
                    ". The request is larger than this server accepts: rill sends a conversation's latest messages up to its context budget (`context`, in KB, set by the site or the URL); a smaller budget or a shorter message fits"
                });
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
            retry_after_ms: None,
        };
        assert_eq!(describe_error(&http, Lang::En), "HTTP 500: boom");
        assert_eq!(describe_error(&http, Lang::Zh), "HTTP 500: boom");
        let bare = ErrorKind::Http {
            status: 502,
            content_type: "text/html".into(),
            message: String::new(),
            retry_after_ms: None,
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
        let en = format!("{:?}{:?}", strings(Lang::En), feed_strings(Lang::En));
        let zh = format!("{:?}{:?}", strings(Lang::Zh), feed_strings(Lang::Zh));
        assert_ne!(en, zh);
        assert!(!en.contains(": \"\""), "empty English string: {en}");
        assert!(!zh.contains(": \"\""), "empty Chinese string: {zh}");
    }
}

/// `n` tenths as text with one decimal (`12.3`): integer formatting only, so the page needs
/// no float formatting code.
fn tenths(n: f64) -> String {
    let t = (n * 10.0).round().max(0.0) as u64;
    format!("{}.{}", t / 10, t % 10)
}

/// Where a shown version stands, for screen readers: "Version 2 of 3".
pub fn version_of(lang: Lang, n: usize, of: usize) -> String {
    match lang {
        Lang::En => format!("Version {n} of {of}"),
        Lang::Zh => format!("第 {n} 个版本，共 {of} 个"),
    }
}

/// The reasoning block's title once the answer began: "Thought for 3.2 s".
pub fn thought_for(lang: Lang, ms: f64) -> String {
    let secs = tenths(ms / 1000.0);
    match lang {
        Lang::En => format!("Thought for {secs} s"),
        Lang::Zh => format!("思考了 {secs} 秒"),
    }
}

/// A reply's usage line: time to first token, tokens per second, input and output tokens,
/// as far as known; `None` when nothing is.
pub fn usage_summary(
    lang: Lang,
    first_token_ms: Option<f64>,
    tokens_per_s: Option<f64>,
    input: Option<u64>,
    output: Option<u64>,
) -> Option<String> {
    let mut parts = Vec::new();
    let zh = lang == Lang::Zh;
    if let Some(ms) = first_token_ms {
        let secs = tenths(ms / 1000.0);
        parts.push(if zh {
            format!("首字 {secs} 秒")
        } else {
            format!("{secs} s to first token")
        });
    }
    if let Some(tps) = tokens_per_s.filter(|t| t.is_finite()) {
        let tps = tenths(tps);
        parts.push(if zh {
            format!("每秒 {tps} 词元")
        } else {
            format!("{tps} tokens/s")
        });
    }
    if let Some(n) = input {
        parts.push(if zh {
            format!("输入 {n}")
        } else {
            format!("{n} in")
        });
    }
    if let Some(n) = output {
        parts.push(if zh {
            format!("输出 {n}")
        } else {
            format!("{n} out")
        });
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// The stream inspector's strings (feed bundle only).
#[derive(Debug)]
pub struct InspectStrings {
    pub title: &'static str,
    pub url_label: &'static str,
    pub via: &'static str,
    pub format: &'static str,
    pub method: &'static str,
    pub headers: &'static str,
    pub headers_hint: &'static str,
    pub body: &'static str,
    pub event_types: &'static str,
    pub connect: &'static str,
    pub stop: &'static str,
    pub pause: &'static str,
    pub resume: &'static str,
    pub clear: &'static str,
    pub export: &'static str,
    pub copy_curl: &'static str,
    pub copied: &'static str,
    pub filter_type: &'static str,
    pub filter_all: &'static str,
    pub filter_text: &'static str,
    pub status: &'static str,
    pub ttfb: &'static str,
    pub first_event: &'static str,
    pub events: &'static str,
    pub reads: &'static str,
    pub connections: &'static str,
    pub retry: &'static str,
    pub response_headers: &'static str,
    pub charts_title: &'static str,
    pub chart_events: &'static str,
    pub chart_bytes: &'static str,
    pub chart_gaps: &'static str,
    pub chart_max: &'static str,
    pub headers_hidden: &'static str,
    pub list: &'static str,
    pub empty: &'static str,
    /// "showing the last 500 of 10000 (the export has all kept)".
    pub showing_last: &'static str,
    pub of: &'static str,
    pub export_has_all: &'static str,
    /// "Kept at most 50,000 events / 20 MB; 12 older ones let go."
    pub bounded: &'static str,
    pub paused_note: &'static str,
    pub gap: &'static str,
    pub read: &'static str,
    pub bytes: &'static str,
    pub diagnosis: &'static str,
    pub no_findings: &'static str,
    pub fix: &'static str,
    pub reads_table: &'static str,
    /// (code, what it means, how to fix it)
    pub findings: [(&'static str, &'static str, &'static str); 9],
}

const INSPECT_EN: InspectStrings = InspectStrings {
    title: "Stream inspector",
    url_label: "Stream URL",
    via: "Read with",
    format: "Format",
    method: "Method",
    headers: "Request headers",
    headers_hint: "One per line: Name: value",
    body: "Request body",
    event_types: "Event types (EventSource only reports the types it listens for)",
    connect: "Connect",
    stop: "Stop",
    pause: "Pause",
    resume: "Resume",
    clear: "Clear",
    export: "Export JSON Lines",
    copy_curl: "Copy as curl",
    copied: "Copied",
    filter_type: "Event type",
    filter_all: "All types",
    filter_text: "Filter text",
    status: "Status",
    ttfb: "First byte",
    first_event: "First event",
    events: "Events",
    reads: "Network reads",
    connections: "Connections",
    retry: "retry",
    response_headers: "Response headers",
    charts_title: "Live charts",
    chart_events: "Events per second, last 60 s",
    chart_bytes: "Bytes per second, last 60 s",
    chart_gaps: "Gaps between events",
    chart_max: "max",
    headers_hidden: "EventSource does not show the status or headers: read with fetch to see them.",
    list: "Events",
    empty: "No events yet.",
    showing_last: "Showing the last",
    of: "of",
    export_has_all: "the export has every kept event",
    bounded: "At most 50,000 events / 20 MB are kept; older ones let go:",
    paused_note: "Paused: events are still collected, the list is not updated.",
    gap: "gap",
    read: "read",
    bytes: "bytes",
    diagnosis: "Diagnosis",
    no_findings: "Nothing wrong seen so far.",
    fix: "Fix",
    reads_table: "Last network reads (time, bytes, events)",
    findings: [
        ("buffering", "Events are held back and released in bursts: something between the server and the browser buffers the stream (a proxy, or compression).", "nginx: send the header X-Accel-Buffering: no from the app, or set proxy_buffering off; and gzip off for the stream. Caddy: flush_interval -1 in reverse_proxy and no encode for text/event-stream. Cloudflare: no buffering for text/event-stream, but turn off compression rules for the path."),
        ("compression", "The event stream is compressed (Content-Encoding). A compressor waits to fill its block, so events arrive late and in bursts.", "Do not compress text/event-stream: nginx gzip_types without it (or gzip off for the location); Caddy: encode with a matcher that excludes it; Cloudflare: a compression rule that disables it for the path."),
        ("proxy-timeout", "The connection is closed every few seconds, always after about the same time: a proxy's read timeout.", "Send a heartbeat comment (a line ': ping') every 15 s, and raise the timeout: nginx proxy_read_timeout 1h; Caddy: none by default; Cloudflare closes idle connections after 100 s."),
        ("cors", "The browser refused the response: the stream is on another origin and does not allow this page (CORS).", "Have the server send Access-Control-Allow-Origin with this page's origin (and answer OPTIONS for custom headers). nginx: add_header Access-Control-Allow-Origin …; Caddy: header Access-Control-Allow-Origin …."),
        ("content-type", "The server answered with the wrong Content-Type: an event stream must be text/event-stream (NDJSON: application/x-ndjson).", "Set Content-Type: text/event-stream on the stream's response; a proxy must not rewrite it (nginx default_type does not apply when the app sets it)."),
        ("status", "The server answered with an error status instead of a stream.", "See the status and the response; a 502/504 from a proxy means it could not reach or wait for the app."),
        ("stall", "No byte has arrived for a long time on an open connection: the stream stalled.", "Send heartbeat comments so a dead connection is noticed; check the server and any proxy timeouts."),
        ("no-ids", "The events carry no id: after a drop, the client cannot resume where it stopped and events are lost.", "Send an id: line with each event and resume from the Last-Event-ID request header."),
        ("connection-limit", "The connection has not opened yet. Over HTTP/1.1 a browser opens at most six connections to one origin, shared by all its tabs; streams in other tabs may hold them all. (A proxy that buffers and compresses can also hold back the whole answer, headers and all.)", "Serve over HTTP/2 (https), close streams of hidden tabs, or share one stream between tabs."),
    ],
};

const INSPECT_ZH: InspectStrings = InspectStrings {
    title: "事件流检查器",
    url_label: "事件流地址",
    via: "读取方式",
    format: "格式",
    method: "方法",
    headers: "请求头",
    headers_hint: "每行一个：名称: 值",
    body: "请求体",
    event_types: "事件类型（EventSource 只报告它监听的类型）",
    connect: "连接",
    stop: "停止",
    pause: "暂停",
    resume: "继续",
    clear: "清空",
    export: "导出 JSON Lines",
    copy_curl: "复制为 curl",
    copied: "已复制",
    filter_type: "事件类型",
    filter_all: "全部类型",
    filter_text: "筛选文本",
    status: "状态",
    ttfb: "首字节",
    first_event: "首个事件",
    events: "事件",
    reads: "网络读取",
    connections: "连接",
    retry: "retry",
    response_headers: "响应头",
    charts_title: "实时图表",
    chart_events: "每秒事件数（最近 60 秒）",
    chart_bytes: "每秒字节数（最近 60 秒）",
    chart_gaps: "事件间隔分布",
    chart_max: "最大",
    headers_hidden: "EventSource 不显示状态码和响应头：改用 fetch 读取即可看到。",
    list: "事件",
    empty: "还没有事件。",
    showing_last: "显示最近",
    of: "条，共",
    export_has_all: "导出包含所有保留的事件",
    bounded: "最多保留 50,000 个事件 / 20 MB；已舍弃较早的：",
    paused_note: "已暂停：事件仍在收集，列表暂不更新。",
    gap: "间隔",
    read: "读取",
    bytes: "字节",
    diagnosis: "诊断",
    no_findings: "目前没有发现问题。",
    fix: "解决办法",
    reads_table: "最近的网络读取（时间、字节、事件）",
    findings: [
        ("buffering", "事件被积压后成批到达：服务器与浏览器之间有东西在缓冲这个流（代理或压缩）。", "nginx：由应用发送响应头 X-Accel-Buffering: no，或设置 proxy_buffering off；并对该流关闭 gzip。Caddy：reverse_proxy 中设 flush_interval -1，且不对 text/event-stream 使用 encode。Cloudflare：关闭该路径的压缩规则。"),
        ("compression", "事件流被压缩了（Content-Encoding）。压缩器要攒满一块才输出，事件因此迟到并成批到达。", "不要压缩 text/event-stream：nginx 的 gzip_types 不含它（或该 location 关闭 gzip）；Caddy：encode 用匹配器排除它；Cloudflare：用压缩规则对该路径关闭。"),
        ("proxy-timeout", "连接每隔一段固定时间就被关闭：这是代理的读取超时。", "每 15 秒发送一条心跳注释（': ping'），并调高超时：nginx proxy_read_timeout 1h；Caddy 默认无超时；Cloudflare 会在空闲 100 秒后断开。"),
        ("cors", "浏览器拒绝了响应：事件流在另一个源上，且不允许本页面访问（CORS）。", "让服务器发送包含本页面源的 Access-Control-Allow-Origin（自定义请求头还需应答 OPTIONS）。nginx：add_header Access-Control-Allow-Origin …；Caddy：header Access-Control-Allow-Origin …。"),
        ("content-type", "服务器返回的 Content-Type 不对：事件流必须是 text/event-stream（NDJSON 为 application/x-ndjson）。", "在该流的响应上设置 Content-Type: text/event-stream；代理不得改写它。"),
        ("status", "服务器返回了错误状态码，而不是事件流。", "查看状态码和响应内容；代理返回 502/504 表示它连不上或等不到应用。"),
        ("stall", "连接仍然打开，但已经很久没有收到任何字节：流停滞了。", "发送心跳注释，以便发现失效的连接；检查服务器和代理的超时设置。"),
        ("no-ids", "事件没有 id：断线后客户端无法从中断处继续，事件会丢失。", "每个事件都发送 id: 行，并根据请求头 Last-Event-ID 续传。"),
        ("connection-limit", "连接一直没有打开。在 HTTP/1.1 下，浏览器对同一个源最多开六个连接，所有标签页共用；其他标签页中的流可能占满了它们。（缓冲并压缩的代理也可能把整个响应连同响应头一起扣住。）", "改用 HTTP/2（https）、关闭隐藏标签页中的流，或在标签页之间共用一个流。"),
    ],
};

/// The inspector's strings in `lang`.
pub fn inspect_strings(lang: Lang) -> &'static InspectStrings {
    match lang {
        Lang::En => &INSPECT_EN,
        Lang::Zh => &INSPECT_ZH,
    }
}

/// Record and replay (the inspector, and a replayed feed or chat reply).
pub struct ReplayStrings {
    pub title: &'static str,
    pub save: &'static str,
    pub load: &'static str,
    pub speed: &'static str,
    pub speed_recorded: &'static str,
    pub speed_fast: &'static str,
    /// What a recording holds and what it leaves out.
    pub secrets_note: &'static str,
    /// "Left out of this recording:" followed by header names.
    pub removed: &'static str,
    pub needs_fetch: &'static str,
    pub nothing: &'static str,
    /// "Recorded: 12.0 KB · 30 reads · 9.5 s".
    pub recorded: &'static str,
    pub reads: &'static str,
    pub cut: &'static str,
    pub loading: &'static str,
    pub playing: &'static str,
    pub done: &'static str,
    pub failed: &'static str,
    pub not_same_origin: &'static str,
    pub http_status: &'static str,
    /// The banner of a feed or chat reply played from a recording.
    pub replay_of: &'static str,
}

const REPLAY_EN: ReplayStrings = ReplayStrings {
    title: "Record and replay",
    save: "Save recording",
    load: "Load recording",
    speed: "Replay speed",
    speed_recorded: "As recorded",
    speed_fast: "As fast as possible",
    secrets_note: "A recording holds the request and every byte received, with its time. Authorization, X-Api-Key and Cookie headers are left out.",
    removed: "Left out of this recording:",
    needs_fetch: "Recording needs fetch: the browser's EventSource does not show the bytes.",
    nothing: "Nothing recorded yet.",
    recorded: "Recorded:",
    reads: "reads",
    cut: "Recording stopped at 20 MB.",
    loading: "Loading the recording…",
    playing: "Replaying",
    done: "Replay finished:",
    failed: "Could not replay the recording:",
    not_same_origin: "a recording is loaded only from this page's own origin",
    http_status: "the server answered",
    replay_of: "Replay of a recording of",
};

const REPLAY_ZH: ReplayStrings = ReplayStrings {
    title: "录制与回放",
    save: "保存录制",
    load: "载入录制",
    speed: "回放速度",
    speed_recorded: "按录制时的速度",
    speed_fast: "尽快回放",
    secrets_note:
        "录制包含请求以及收到的每个字节和时间。Authorization、X-Api-Key 和 Cookie 请求头不会保存。",
    removed: "本次录制略去了：",
    needs_fetch: "录制需要使用 fetch：浏览器的 EventSource 不提供原始字节。",
    nothing: "还没有录制内容。",
    recorded: "已录制：",
    reads: "次读取",
    cut: "录制已在 20 MB 处停止。",
    loading: "正在载入录制…",
    playing: "正在回放",
    done: "回放结束：",
    failed: "无法回放该录制：",
    not_same_origin: "只能从本页面所在的源载入录制",
    http_status: "服务器返回",
    replay_of: "回放录制：",
};

/// The record-and-replay strings of `lang`.
pub fn replay_strings(lang: Lang) -> &'static ReplayStrings {
    match lang {
        Lang::En => &REPLAY_EN,
        Lang::Zh => &REPLAY_ZH,
    }
}

#[cfg(test)]
mod reply_words_tests {
    use super::*;

    #[test]
    fn thought_and_usage_words() {
        assert_eq!(thought_for(Lang::En, 3249.0), "Thought for 3.2 s");
        assert_eq!(thought_for(Lang::Zh, 50.0), "思考了 0.1 秒");
        assert_eq!(
            usage_summary(Lang::En, Some(412.0), Some(52.06), Some(12), Some(240)).as_deref(),
            Some("0.4 s to first token · 52.1 tokens/s · 12 in · 240 out")
        );
        assert_eq!(
            usage_summary(Lang::Zh, None, None, None, Some(7)).as_deref(),
            Some("输出 7")
        );
        assert_eq!(
            usage_summary(Lang::En, None, Some(f64::INFINITY), None, None),
            None
        );
    }
}
