//! The app's settings, parsed from URL parameters.
//!
//! Pure: it takes the query string as text, so it is tested natively. Unknown parameters are
//! ignored and bad values fall back to defaults, each noted in [`Config::warnings`] so the UI
//! can say what it did not understand instead of failing.

use crate::chat::format::ChatFormat;
use crate::i18n::Lang;
use crate::transport::Transport;

/// Which view the shell shows (`?view=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// Streaming chat (the default).
    #[default]
    Chat,
    /// The live clock feed of the original design, and any other SSE feed.
    Clock,
    /// A raw stream inspector.
    Inspect,
}

impl View {
    /// All views, in navigation order.
    pub const ALL: [View; 3] = [View::Chat, View::Clock, View::Inspect];

    /// The `view` parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            View::Chat => "chat",
            View::Clock => "clock",
            View::Inspect => "inspect",
        }
    }

    /// Parses a `view` parameter value.
    pub fn parse(s: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Colour theme (`?theme=`): follow the system, or force one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// Follow `prefers-color-scheme`.
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    /// The `theme` parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// Parses a `theme` parameter value.
    pub fn parse(s: &str) -> Option<Theme> {
        [Theme::System, Theme::Light, Theme::Dark]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// The URL the clock view connects to when none is given: the reference backend's feed on
/// the same origin (`trunk serve` proxies it; `rill-server --dist` serves both).
pub const DEFAULT_STREAM: &str = "/stream";

/// Everything the app reads from its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub view: View,
    /// SSE URL for the clock view (`?stream=`).
    pub stream: String,
    /// Interface language (`?lang=en|zh`); `None` means "from the browser".
    pub lang: Option<Lang>,
    pub theme: Theme,
    /// How the clock view carries its feed (`?transport=eventsource|fetch`).
    pub transport: Transport,
    /// Chat endpoint, the full URL to call (`?endpoint=`); `None` = the format's default.
    pub endpoint: Option<String>,
    /// Chat wire format (`?format=openai|ollama|summary`).
    pub format: Option<ChatFormat>,
    /// Chat model (`?model=`).
    pub model: Option<String>,
    /// Parameters that were present but not understood, in words for the user.
    pub warnings: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            view: View::default(),
            stream: DEFAULT_STREAM.to_string(),
            lang: None,
            theme: Theme::default(),
            transport: Transport::default(),
            endpoint: None,
            format: None,
            model: None,
            warnings: Vec::new(),
        }
    }
}

impl Config {
    /// Parses a query string such as `?view=clock&stream=http%3A%2F%2Fh%2Fstream`.
    /// The leading `?` is optional; later duplicates win.
    pub fn from_query(query: &str) -> Config {
        let query = query.strip_prefix('?').unwrap_or(query);
        Config::from_pairs(query.split('&').filter(|p| !p.is_empty()).map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        }))
    }

    /// Builds a config from decoded key/value pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Config {
        let mut config = Config::default();
        for (key, value) in pairs {
            match key.as_str() {
                "view" => match View::parse(&value) {
                    Some(view) => config.view = view,
                    None => config.warn("view", &value),
                },
                "stream" => {
                    let value = value.trim();
                    if value.is_empty() {
                        config.warn("stream", value);
                    } else {
                        config.stream = value.to_string();
                    }
                }
                "lang" => match Lang::parse(&value) {
                    Some(lang) => config.lang = Some(lang),
                    None => config.warn("lang", &value),
                },
                "endpoint" => {
                    let value = value.trim();
                    if value.is_empty() {
                        config.warn("endpoint", value);
                    } else {
                        config.endpoint = Some(value.to_string());
                    }
                }
                "format" => match ChatFormat::parse(&value) {
                    Some(format) => config.format = Some(format),
                    None => config.warn("format", &value),
                },
                "model" => {
                    let value = value.trim();
                    if !value.is_empty() {
                        config.model = Some(value.to_string());
                    }
                }
                "transport" => match Transport::parse(&value) {
                    Some(transport) => config.transport = transport,
                    None => config.warn("transport", &value),
                },
                "theme" => match Theme::parse(&value) {
                    Some(theme) => config.theme = theme,
                    None => config.warn("theme", &value),
                },
                _ => {}
            }
        }
        config
    }

    fn warn(&mut self, key: &str, value: &str) {
        self.warnings
            .push(format!("ignored {key}=\"{value}\": not a known value"));
    }
}

/// Returns `query` with `key` set to `value` (added, or replacing every earlier `key`),
/// keeping all other parameters as written. The result starts with `?`.
pub fn with_param(query: &str, key: &str, value: &str) -> String {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| percent_decode(p.split_once('=').map_or(*p, |(k, _)| k)) != key)
        .map(str::to_string)
        .collect();
    parts.push(format!("{}={}", percent_encode(key), percent_encode(value)));
    format!("?{}", parts.join("&"))
}

/// Encodes everything but unreserved characters (RFC 3986) as `%XX`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` (as a space) of `application/x-www-form-urlencoded`.
/// Invalid escapes are kept as written; invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_query_gives_defaults() {
        assert_eq!(Config::from_query(""), Config::default());
        assert_eq!(Config::from_query("?"), Config::default());
        assert_eq!(Config::default().view, View::Chat);
        assert_eq!(Config::default().stream, "/stream");
    }

    #[test]
    fn view_and_encoded_stream_url_are_read() {
        let c = Config::from_query("?view=clock&stream=http%3A%2F%2F127.0.0.1%3A8844%2Fstream");
        assert_eq!(c.view, View::Clock);
        assert_eq!(c.stream, "http://127.0.0.1:8844/stream");
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn unencoded_stream_url_with_its_own_query_keeps_first_part() {
        // `&` separates parameters: a stream URL with a query must be encoded.
        let c = Config::from_query("stream=http://h/s?a=1&b=2");
        assert_eq!(c.stream, "http://h/s?a=1");
    }

    #[test]
    fn unknown_values_fall_back_with_a_warning() {
        let c = Config::from_query("view=nope&lang=fr&theme=pink&stream=&transport=ws");
        assert_eq!(c.transport, Transport::EventSource);
        assert_eq!(c.view, View::Chat);
        assert_eq!(c.lang, None);
        assert_eq!(c.theme, Theme::System);
        assert_eq!(c.stream, DEFAULT_STREAM);
        assert_eq!(c.warnings.len(), 5, "{:?}", c.warnings);
    }

    #[test]
    fn later_duplicates_win_and_unknown_keys_are_ignored() {
        let c =
            Config::from_query("view=clock&x=1&view=inspect&lang=zh&theme=dark&transport=fetch");
        assert_eq!(c.transport, Transport::Fetch);
        assert_eq!(c.view, View::Inspect);
        assert_eq!(c.lang, Some(Lang::Zh));
        assert_eq!(c.theme, Theme::Dark);
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn chat_parameters_are_read() {
        let c = Config::from_query("view=chat&endpoint=http%3A%2F%2Fh%3A11434%2Fapi%2Fchat&format=ollama&model=llama3%3Alatest");
        assert_eq!(c.endpoint.as_deref(), Some("http://h:11434/api/chat"));
        assert_eq!(c.format, Some(ChatFormat::Ollama));
        assert_eq!(c.model.as_deref(), Some("llama3:latest"));
        let c = Config::from_query("format=gpt");
        assert_eq!(c.format, None);
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn with_param_replaces_and_keeps_the_rest() {
        assert_eq!(with_param("", "view", "clock"), "?view=clock");
        assert_eq!(
            with_param(
                "?view=chat&stream=http%3A%2F%2Fh%2Fs&view=x",
                "view",
                "clock"
            ),
            "?stream=http%3A%2F%2Fh%2Fs&view=clock"
        );
        let q = with_param("?lang=zh", "stream", "http://h:1/s?a=1&b=2");
        let c = Config::from_query(&q);
        assert_eq!(c.stream, "http://h:1/s?a=1&b=2");
        assert_eq!(c.lang, Some(Lang::Zh));
    }

    #[test]
    fn percent_decoding_handles_plus_utf8_and_bad_escapes() {
        assert_eq!(percent_decode("a+b%20c"), "a b c");
        assert_eq!(percent_decode("%E4%BD%A0%E5%A5%BD"), "你好");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }
}
