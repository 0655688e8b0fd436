//! The app's settings: the site's `config.json`, overridden by URL parameters.
//!
//! Pure: it takes the file's text and the query string as text, so it is tested natively.
//! Both use the same keys (`view`, `stream`, `endpoint`, `format`, `model`, `title`,
//! `greeting`, `theme`, `lang`, `accent`, `transport`, `stall`, `context`, and `embed`, the widget mode); the URL's
//! values win. Bad values fall back to defaults for that field only, each noted in words so
//! the UI can say what it did not understand instead of failing: a URL's in
//! [`Config::warnings`] (unknown parameters are ignored, a page's URL carries other things
//! too), config.json's in [`Config::problems`], where an unknown key is a problem too (it is
//! most likely a typo of the site's author).

use crate::chat::format::ChatFormat;
use crate::i18n::Lang;
use crate::json::Json;
use crate::percent::{hex_digit, percent_decode, percent_encode};
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
    /// After how many seconds without data a chat reply or an open feed is shown as
    /// stalled (`?stall=`, 1 to 3600; `None`: each view's default).
    pub stall_secs: Option<u64>,
    /// The chat's context budget: at most this many KB (1000 bytes) of a conversation's
    /// text go with a question, its latest messages (`?context=`, 1 to 100000; `None`: the
    /// default, `chat::conversation::DEFAULT_CONTEXT_BYTES`).
    pub context_kb: Option<u64>,
    /// Chat endpoint, the full URL to call (`?endpoint=`); `None` = the format's default.
    pub endpoint: Option<String>,
    /// Chat wire format (`?format=openai|ollama|summary`).
    pub format: Option<ChatFormat>,
    /// Chat model (`?model=`).
    pub model: Option<String>,
    /// The site's name for the app: the header and the page title (`?title=`).
    pub title: Option<String>,
    /// The empty chat's text (`?greeting=`).
    pub greeting: Option<String>,
    /// The accent colour (`?accent=%23rrggbb`), set on the app root as `--rill-accent`.
    pub accent: Option<Accent>,
    /// The view config.json names, for a URL that names none (back and forward buttons).
    pub file_view: Option<View>,
    /// config.json's own chat endpoint and format, before the URL's: `endpoint` and `format`
    /// above are these unless the URL names its own (a link's, which the chat settings treat
    /// as a link: used, never saved, named in a banner when on another origin).
    pub file_endpoint: Option<String>,
    pub file_format: Option<ChatFormat>,
    /// A recording to replay (`?replay=`, a URL on the page's own origin: the view checks
    /// the origin): the inspector, the clock view or the chat plays it instead of a stream.
    pub replay: Option<String>,
    /// Replay as fast as possible (`?speed=fast`) instead of at the recorded pace (`recorded`).
    pub replay_fast: bool,
    /// Widget mode (`?embed=1`, set by `embed.js` in the iframe it adds): the chat alone,
    /// compact, and talking to the host page (`components::chat::embed_bridge`).
    pub embed: bool,
    /// Parameters that were present but not understood, in words for the user.
    pub warnings: Vec<String>,
    /// What was wrong with config.json, each naming the field (`config.json: theme: …`).
    pub problems: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            view: View::default(),
            stream: DEFAULT_STREAM.to_string(),
            lang: None,
            theme: Theme::default(),
            transport: Transport::default(),
            stall_secs: None,
            context_kb: None,
            endpoint: None,
            format: None,
            model: None,
            title: None,
            greeting: None,
            accent: None,
            file_view: None,
            file_endpoint: None,
            file_format: None,
            replay: None,
            replay_fast: false,
            embed: false,
            warnings: Vec::new(),
            problems: Vec::new(),
        }
    }
}

/// The most characters of a `title`; a longer one is refused, not cut.
pub const MAX_TITLE: usize = 100;
/// The most characters of a `greeting`.
pub const MAX_GREETING: usize = 500;

/// The keys config.json may hold (the URL's parameters of the same names).
pub const FILE_KEYS: [&str; 14] = [
    "view",
    "stream",
    "endpoint",
    "format",
    "model",
    "title",
    "greeting",
    "theme",
    "lang",
    "accent",
    "transport",
    "stall",
    "context",
    // The widget's key: read by the embed's own code, accepted here so it is not a typo.
    "embed",
];

/// What the page found beside `index.html` as `config.json` (the loader fetches it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigFile {
    /// None there (404), or none fetched: the defaults, silently.
    Absent,
    /// Its text, to be parsed.
    Text(String),
    /// It could not be fetched (an HTTP error or a network failure), in words.
    Unavailable(String),
}

impl ConfigFile {
    /// Classifies the answer to the page's request for config.json. 404 and 410 mean there
    /// is none. A successful answer of type `text/html` is a host's fallback page (static
    /// hosts set up for single-page apps answer every path with `index.html`), not a config:
    /// also none. Any other failure is a problem to show.
    pub fn from_response(status: u16, content_type: &str, text: String) -> ConfigFile {
        match status {
            200..=299 => {
                let media = content_type.split(';').next().unwrap_or("").trim();
                if media.eq_ignore_ascii_case("text/html") {
                    ConfigFile::Absent
                } else {
                    ConfigFile::Text(text)
                }
            }
            404 | 410 => ConfigFile::Absent,
            _ => ConfigFile::Unavailable(format!("HTTP {status}")),
        }
    }
}

/// An accent colour, validated strictly: `#rgb` or `#rrggbb`, nothing else (no names, no
/// `rgb()`, no `var()`): the value goes into a CSS custom property, and a strict form keeps
/// anything but a colour out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accent {
    rgb: [u8; 3],
}

impl Accent {
    /// Parses `#rgb` or `#rrggbb` (hex digits in either case).
    pub fn parse(s: &str) -> Option<Accent> {
        let hex = s.strip_prefix('#')?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize| hex.as_bytes().get(i).and_then(|b| hex_digit(*b));
        let rgb = match hex.len() {
            3 => [digit(0)? * 17, digit(1)? * 17, digit(2)? * 17],
            6 => [
                digit(0)? << 4 | digit(1)?,
                digit(2)? << 4 | digit(3)?,
                digit(4)? << 4 | digit(5)?,
            ],
            _ => return None,
        };
        Some(Accent { rgb })
    }

    /// The colour as CSS: `#rrggbb`, lowercase.
    pub fn css(&self) -> String {
        let [r, g, b] = self.rgb;
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// The text colour for a surface of this colour (primary buttons): black or white,
    /// whichever contrasts more by WCAG's relative luminance. The sRGB curve's 2.4 power is
    /// taken as 2.375 with square roots (no `powf`, which would add libm to the page); it
    /// changes the choice only where both contrasts are nearly equal.
    pub fn text_css(&self) -> &'static str {
        let [r, g, b] = self.rgb.map(linear);
        let luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        // Contrast with white is 1.05 / (L + 0.05), with black (L + 0.05) / 0.05.
        if (luminance + 0.05) * (luminance + 0.05) < 1.05 * 0.05 {
            "#ffffff"
        } else {
            "#000000"
        }
    }
}

/// One sRGB channel, linearised.
fn linear(c: u8) -> f64 {
    let x = f64::from(c) / 255.0;
    if x <= 0.04045 {
        x / 12.92
    } else {
        let y = (x + 0.055) / 1.055;
        let quarter = y.sqrt().sqrt();
        y * y * quarter * quarter.sqrt()
    }
}

impl Config {
    /// Parses a query string such as `?view=clock&stream=http%3A%2F%2Fh%2Fstream`.
    /// The leading `?` is optional; later duplicates win.
    pub fn from_query(query: &str) -> Config {
        Config::from_sources(&ConfigFile::Absent, query)
    }

    /// config.json's settings, overridden by the URL's (`query`). Every bad field of the
    /// file is a problem in [`Config::problems`] and keeps its default; the rest apply.
    pub fn from_sources(file: &ConfigFile, query: &str) -> Config {
        let mut config = Config::default();
        config.apply_file(file);
        config.file_endpoint = config.endpoint.clone();
        config.file_format = config.format;
        config.apply_pairs(query_pairs(query));
        config
    }

    /// Builds a config from decoded URL key/value pairs (no config.json).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Config {
        let mut config = Config::default();
        config.apply_pairs(pairs);
        config
    }

    /// The view for the page's URL `query` now: the URL's (the last valid `view`), else
    /// config.json's, else the chat. The loader chooses the bundle by the same rule.
    pub fn view_for(&self, query: &str) -> View {
        query_pairs(query)
            .filter(|(k, _)| k == "view")
            .filter_map(|(_, v)| View::parse(&v))
            .last()
            .or(self.file_view)
            .unwrap_or_default()
    }

    fn apply_pairs(&mut self, pairs: impl IntoIterator<Item = (String, String)>) {
        for (key, value) in pairs {
            if let Some(Err(expected)) = self.set(&key, &value) {
                self.warnings
                    .push(format!("ignored {key}=\"{value}\": {expected}"));
            }
        }
    }

    fn apply_file(&mut self, file: &ConfigFile) {
        let text = match file {
            ConfigFile::Absent => return,
            ConfigFile::Unavailable(why) => {
                self.problem(format!("could not be loaded ({why})"));
                return;
            }
            ConfigFile::Text(text) => text,
        };
        let root = match Json::parse(text.trim_start_matches('\u{feff}')) {
            Ok(root) => root,
            Err(e) => {
                self.problem(format!("not JSON: expected {e}"));
                return;
            }
        };
        let Json::Obj(members) = &root else {
            self.problem(
                "expected an object of settings, such as {\"theme\": \"dark\"}".to_string(),
            );
            return;
        };
        for (i, (key, value)) in members.iter().enumerate() {
            // A repeated key: the last one counts, as in `JSON.parse` (and the loader).
            if members[i + 1..].iter().any(|(later, _)| later == key) {
                continue;
            }
            if key == "embed" {
                if let Json::Bool(on) = value {
                    self.embed = *on;
                    continue;
                }
            }
            if !FILE_KEYS.contains(&key.as_ref()) {
                self.problem(format!(
                    "{key}: not a setting rill knows (it knows {})",
                    FILE_KEYS[..FILE_KEYS.len() - 1].join(", ")
                ));
                continue;
            }
            let outcome = match value {
                Json::Null => Ok(()),
                Json::Str(text) => self.set(key, text).unwrap_or(Ok(())),
                // Every setting is a string: anything else is wrong in the same words.
                _ => Err(expected_for(key)),
            };
            match outcome {
                Ok(()) if key == "view" && value.as_str().is_some() => {
                    self.file_view = Some(self.view);
                }
                Ok(()) => {}
                Err(expected) => self.problem(format!("{key}: {expected}")),
            }
        }
    }

    fn problem(&mut self, what: String) {
        self.problems.push(format!("config.json: {what}"));
    }

    /// Sets one setting from its text. `None`: not a key of ours; `Some(Err(_))`: a bad
    /// value, in words (what was expected), and the setting is unchanged.
    fn set(&mut self, key: &str, value: &str) -> Option<Result<(), &'static str>> {
        let expected = expected_for(key);
        let ok = match key {
            "view" => View::parse(value).map(|v| self.view = v).is_some(),
            "stream" => url_value(value).map(|v| self.stream = v).is_some(),
            "endpoint" => url_value(value).map(|v| self.endpoint = Some(v)).is_some(),
            "lang" => Lang::parse(value).map(|l| self.lang = Some(l)).is_some(),
            "format" => ChatFormat::parse(value)
                .map(|f| self.format = Some(f))
                .is_some(),
            "transport" => Transport::parse(value)
                .map(|t| self.transport = t)
                .is_some(),
            "theme" => Theme::parse(value).map(|t| self.theme = t).is_some(),
            "stall" => stall_value(value)
                .map(|secs| self.stall_secs = Some(secs))
                .is_some(),
            "context" => whole_number(value, 1..=100_000)
                .map(|kb| self.context_kb = Some(kb))
                .is_some(),
            "accent" => Accent::parse(value)
                .map(|a| self.accent = Some(a))
                .is_some(),
            "model" => text_value(value, usize::MAX)
                .map(|m| self.model = m.or(self.model.take()))
                .is_some(),
            "title" => text_value(value, MAX_TITLE)
                .map(|t| self.title = t.or(self.title.take()))
                .is_some(),
            "greeting" => text_value(value, MAX_GREETING)
                .map(|g| self.greeting = g.or(self.greeting.take()))
                .is_some(),
            "replay" => url_value(value).map(|v| self.replay = Some(v)).is_some(),
            "speed" => match value {
                "recorded" | "fast" => {
                    self.replay_fast = value == "fast";
                    true
                }
                _ => false,
            },
            "embed" => match value {
                "1" | "true" | "0" | "false" => {
                    self.embed = matches!(value, "1" | "true");
                    true
                }
                _ => false,
            },
            _ => return None,
        };
        Some(if ok { Ok(()) } else { Err(expected) })
    }
}

/// What a setting's value must be, in words.
fn expected_for(key: &str) -> &'static str {
    match key {
        "view" => "expected chat, clock or inspect",
        "stream" | "endpoint" | "replay" => "expected a URL",
        "speed" => "expected recorded or fast",
        "lang" => "expected en or zh",
        "format" => "expected openai, ollama or summary",
        "transport" => "expected eventsource or fetch",
        "theme" => "expected system, light or dark",
        "accent" => "expected a colour written #rgb or #rrggbb",
        "title" => "expected text of at most 100 characters",
        "greeting" => "expected text of at most 500 characters",
        "embed" => "expected 1 or 0",
        "stall" => "expected a whole number of seconds from 1 to 3600",
        "context" => "expected a whole number of kilobytes from 1 to 100000",
        _ => "expected text",
    }
}

/// A stall time: whole seconds, 1 to 3600 (read without floats: the page parses none).
fn stall_value(value: &str) -> Option<u64> {
    whole_number(value, 1..=3600)
}

/// A whole number in `range`, digits only (read without floats: the page parses none).
fn whole_number(value: &str, range: std::ops::RangeInclusive<u64>) -> Option<u64> {
    let value = value.trim();
    if value.is_empty() || value.len() > 6 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = value.parse().ok()?;
    range.contains(&n).then_some(n)
}

/// A URL setting: trimmed, not empty, and free of control characters.
fn url_value(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty() && !value.chars().any(char::is_control)).then(|| value.to_string())
}

/// A text setting of at most `max` characters: `Some(None)` when blank (not set), `None`
/// when too long or holding control characters other than line breaks.
fn text_value(value: &str, max: usize) -> Option<Option<String>> {
    let value = value.trim();
    if value.chars().count() > max || value.chars().any(|c| c.is_control() && c != '\n') {
        return None;
    }
    Some((!value.is_empty()).then(|| value.to_string()))
}

/// A query string's decoded pairs, in order.
fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    let query = query.strip_prefix('?').unwrap_or(query);
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k), percent_decode(v))
    })
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
        let c = Config::from_query("stall=0");
        assert_eq!(c.stall_secs, None);
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(Config::from_query("stall=5").stall_secs, Some(5));
        let c = Config::from_query("?view=inspect&replay=%2Frec.jsonl&speed=fast");
        assert_eq!(
            (c.replay.as_deref(), c.replay_fast, c.warnings.len()),
            (Some("/rec.jsonl"), true, 0)
        );
        assert_eq!(Config::from_query("speed=slow").warnings.len(), 1);
        assert_eq!(Config::from_query("stall=3600").stall_secs, Some(3600));
        assert_eq!(Config::from_query("stall=3601").stall_secs, None);
        assert_eq!(Config::from_query("stall=1.5").stall_secs, None);
        assert_eq!(Config::from_query("context=64").context_kb, Some(64));
        assert_eq!(
            Config::from_query("context=100000").context_kb,
            Some(100_000)
        );
        for bad in ["0", "100001", "1.5", "-3", "", "1e3"] {
            assert_eq!(
                Config::from_query(&format!("context={bad}")).context_kb,
                None,
                "{bad}"
            );
        }
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

    fn file(text: &str) -> Config {
        Config::from_sources(&ConfigFile::Text(text.to_string()), "")
    }

    #[test]
    fn config_json_sets_every_key() {
        let c = file(
            r##"{"view": "clock", "stream": "http://h:1/stream", "endpoint": "http://h:2/v1/chat/completions",
                "format": "ollama", "model": "llama3", "title": "Acme help", "greeting": "Hello there",
                "theme": "dark", "lang": "zh", "accent": "#C05", "transport": "fetch", "embed": "1"}"##,
        );
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.view, View::Clock);
        assert_eq!(c.file_view, Some(View::Clock));
        assert_eq!(c.stream, "http://h:1/stream");
        assert_eq!(
            c.endpoint.as_deref(),
            Some("http://h:2/v1/chat/completions")
        );
        assert_eq!(c.format, Some(ChatFormat::Ollama));
        assert_eq!(c.model.as_deref(), Some("llama3"));
        assert_eq!(c.title.as_deref(), Some("Acme help"));
        assert_eq!(c.greeting.as_deref(), Some("Hello there"));
        assert_eq!(c.theme, Theme::Dark);
        assert_eq!(c.lang, Some(Lang::Zh));
        assert_eq!(
            c.accent.as_ref().map(Accent::css).as_deref(),
            Some("#cc0055")
        );
        assert_eq!(c.transport, Transport::Fetch);
        assert!(c.embed);
    }

    #[test]
    fn embed_is_a_flag_of_the_url_and_config_json() {
        assert!(!Config::default().embed);
        assert!(Config::from_query("?embed=1&lang=en").embed);
        assert!(Config::from_query("embed=true").embed);
        assert!(!Config::from_query("embed=0").embed);
        let c = Config::from_query("embed=yes");
        assert!(!c.embed);
        assert_eq!(c.warnings, ["ignored embed=\"yes\": expected 1 or 0"]);
        assert!(file(r#"{"embed": true}"#).embed);
        assert!(!file(r#"{"embed": "0"}"#).embed);
        assert_eq!(
            file(r#"{"embed": 2}"#).problems,
            ["config.json: embed: expected 1 or 0"]
        );
        // The URL wins over the file.
        let c = Config::from_sources(&ConfigFile::Text(r#"{"embed": "1"}"#.into()), "embed=0");
        assert!(!c.embed);
    }

    #[test]
    fn url_parameters_override_config_json() {
        let text = r##"{"theme": "dark", "lang": "zh", "title": "From file", "view": "clock", "accent": "#112233"}"##;
        let c = Config::from_sources(
            &ConfigFile::Text(text.to_string()),
            "?theme=light&title=From%20URL&view=chat",
        );
        assert!(c.problems.is_empty() && c.warnings.is_empty());
        assert_eq!(c.theme, Theme::Light);
        assert_eq!(c.title.as_deref(), Some("From URL"));
        assert_eq!(c.view, View::Chat);
        // Not named by the URL: the file's.
        assert_eq!(c.lang, Some(Lang::Zh));
        assert_eq!(
            c.accent.as_ref().map(Accent::css).as_deref(),
            Some("#112233")
        );
        // The file's chat endpoint is kept apart from a link's.
        let chat = r#"{"endpoint": "http://site/v1/chat/completions", "format": "openai"}"#;
        let link = Config::from_sources(
            &ConfigFile::Text(chat.to_string()),
            "endpoint=http%3A%2F%2Flink%2Fapi%2Fchat&format=ollama",
        );
        assert_eq!(link.endpoint.as_deref(), Some("http://link/api/chat"));
        assert_eq!(
            link.file_endpoint.as_deref(),
            Some("http://site/v1/chat/completions")
        );
        assert_eq!(
            (link.format, link.file_format),
            (Some(ChatFormat::Ollama), Some(ChatFormat::OpenAi))
        );
        // A bad URL value keeps the file's value and warns.
        let c = Config::from_sources(&ConfigFile::Text(text.to_string()), "theme=purple");
        assert_eq!(c.theme, Theme::Dark);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("purple"), "{:?}", c.warnings);
    }

    #[test]
    fn the_view_follows_the_url_then_the_file() {
        let c = file(r#"{"view": "inspect"}"#);
        assert_eq!(c.view_for(""), View::Inspect);
        assert_eq!(c.view_for("?view=clock"), View::Clock);
        assert_eq!(c.view_for("?view=chat&view=nope"), View::Chat);
        assert_eq!(c.view_for("?view=nope"), View::Inspect);
        assert_eq!(Config::default().view_for("?lang=zh"), View::Chat);
        // A bad view in the file is no view of the file's.
        assert_eq!(file(r#"{"view": "map"}"#).file_view, None);
    }

    #[test]
    fn a_missing_config_is_silent_and_a_failed_fetch_is_named() {
        assert_eq!(
            Config::from_sources(&ConfigFile::Absent, ""),
            Config::default()
        );
        let c = Config::from_sources(&ConfigFile::Unavailable("HTTP 500".into()), "");
        assert_eq!(c.problems, ["config.json: could not be loaded (HTTP 500)"]);
        assert_eq!(
            ConfigFile::from_response(404, "text/html", "<h1>Not found</h1>".into()),
            ConfigFile::Absent
        );
        assert_eq!(
            ConfigFile::from_response(200, "text/html; charset=utf-8", "<!doctype html>".into()),
            ConfigFile::Absent,
            "a host's fallback page is not a config"
        );
        assert_eq!(
            ConfigFile::from_response(200, "application/json", "{}".into()),
            ConfigFile::Text("{}".into())
        );
        assert_eq!(
            ConfigFile::from_response(403, "text/plain", "no".into()),
            ConfigFile::Unavailable("HTTP 403".into())
        );
    }

    #[test]
    fn broken_json_is_named_and_the_defaults_stay() {
        for text in [
            "",
            "{",
            "{\"theme\": \"dark\",}",
            "theme: dark",
            "{\"a\" 1}",
        ] {
            let c = file(text);
            assert_eq!(c.problems.len(), 1, "{text:?}: {:?}", c.problems);
            assert!(
                c.problems[0].starts_with("config.json: not JSON: expected "),
                "{text:?}: {:?}",
                c.problems
            );
            assert_eq!(
                Config {
                    problems: Vec::new(),
                    ..c
                },
                Config::default()
            );
        }
        for text in ["[]", "\"dark\"", "null", "1"] {
            let c = file(text);
            assert_eq!(
                c.problems,
                ["config.json: expected an object of settings, such as {\"theme\": \"dark\"}"],
                "{text}"
            );
        }
        // A byte order mark is not an error.
        assert!(file("\u{feff}{}").problems.is_empty());
    }

    #[test]
    fn each_bad_field_is_named_and_only_it_falls_back() {
        let cases: [(&str, &str); 14] = [
            (r##""theme": "purple""##, "config.json: theme: expected system, light or dark"),
            (r##""theme": 1"##, "config.json: theme: expected system, light or dark"),
            (r##""view": "map""##, "config.json: view: expected chat, clock or inspect"),
            (r##""lang": "fr""##, "config.json: lang: expected en or zh"),
            (r##""format": "grpc""##, "config.json: format: expected openai, ollama or summary"),
            (r##""transport": "ws""##, "config.json: transport: expected eventsource or fetch"),
            (r##""accent": "red""##, "config.json: accent: expected a colour written #rgb or #rrggbb"),
            (r##""accent": "#12345""##, "config.json: accent: expected a colour written #rgb or #rrggbb"),
            (r##""accent": "#12g""##, "config.json: accent: expected a colour written #rgb or #rrggbb"),
            (r##""endpoint": """##, "config.json: endpoint: expected a URL"),
            (r##""stream": ["/s"]"##, "config.json: stream: expected a URL"),
            (r##""model": true"##, "config.json: model: expected text"),
            (r##""greeting": {}"##, "config.json: greeting: expected text of at most 500 characters"),
            (r##""colour": "#fff""##, "config.json: colour: not a setting rill knows (it knows view, stream, endpoint, format, model, title, greeting, theme, lang, accent, transport, stall, context)"),
        ];
        for (member, problem) in cases {
            // The bad field beside a good one: the good one applies.
            let c = file(&format!(r#"{{{member}, "title": "Kept"}}"#));
            assert_eq!(c.problems, [problem], "{member}");
            assert_eq!(c.title.as_deref(), Some("Kept"), "{member}");
            assert_eq!(
                Config {
                    problems: Vec::new(),
                    title: None,
                    ..c
                },
                Config::default(),
                "{member}: the bad field keeps its default"
            );
        }
        let long = "x".repeat(MAX_TITLE + 1);
        assert_eq!(
            file(&format!(r#"{{"title": "{long}"}}"#)).problems,
            ["config.json: title: expected text of at most 100 characters"]
        );
        assert_eq!(
            file(&format!(r#"{{"title": "{}"}}"#, "x".repeat(MAX_TITLE)))
                .title
                .map(|t| t.len()),
            Some(MAX_TITLE)
        );
        // Several bad fields: each is named, in the file's order.
        let c = file(r#"{"lang": "fr", "theme": "purple", "accent": "blue"}"#);
        assert_eq!(c.problems.len(), 3, "{:?}", c.problems);
        assert!(c.problems[0].contains("lang") && c.problems[2].contains("accent"));
    }

    #[test]
    fn null_and_blank_texts_are_not_set_and_repeats_take_the_last() {
        let c = file(r#"{"title": null, "greeting": "  ", "model": "", "endpoint": null}"#);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c, Config::default());
        let c = file(r#"{"theme": "purple", "theme": "dark"}"#);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.theme, Theme::Dark);
    }

    #[test]
    fn url_title_greeting_and_accent_are_read_and_checked() {
        let c = Config::from_query("title=Help%20desk&greeting=Hi%21&accent=%23ABCDEF");
        assert_eq!(c.title.as_deref(), Some("Help desk"));
        assert_eq!(c.greeting.as_deref(), Some("Hi!"));
        assert_eq!(
            c.accent.as_ref().map(Accent::css).as_deref(),
            Some("#abcdef")
        );
        let c = Config::from_query("accent=red&accent=%23abc%3Bcolor%3Ared");
        assert_eq!(c.accent, None);
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    }

    #[test]
    fn accents_are_strict_and_get_a_readable_text_colour() {
        for bad in [
            "",
            "#",
            "abc",
            "#abcd",
            "#abcdefa",
            " #abc",
            "#abc ",
            "#ab\u{e9}",
            "rgb(1,2,3)",
            "var(--x)",
            "#12345g",
        ] {
            assert_eq!(Accent::parse(bad), None, "{bad:?}");
        }
        let text = |s: &str| Accent::parse(s).map(|a| a.text_css());
        assert_eq!(text("#0b6bcb"), Some("#ffffff"));
        assert_eq!(text("#000"), Some("#ffffff"));
        assert_eq!(text("#fff"), Some("#000000"));
        assert_eq!(text("#ffcc00"), Some("#000000"));
        assert_eq!(text("#4ea1ff"), Some("#000000"));
        assert_eq!(text("#b91c1c"), Some("#ffffff"));
    }
}
