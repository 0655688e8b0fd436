//! Chat settings: endpoint, format, model, system prompt and temperature.
//!
//! Pure resolution of URL parameters over saved settings; saving is the view's job.
//! API keys are not settings: they live in a [`KeyRing`](super::keys::KeyRing), each bound
//! to the origin it was entered for, and are never serialised with these.
//!
//! An endpoint (or format) from the page's URL is used but never saved: the settings keep
//! what the user chose ([`Linked`]), so a crafted link cannot change where the next visit
//! sends conversations.

use super::format::ChatFormat;
use crate::config::Config;
use crate::json::{read, Json};

/// The model the reference backend's built-in demo answers as.
pub const DEFAULT_MODEL: &str = "rill-demo";
/// Where settings are saved (without the key).
pub const SETTINGS_KEY: &str = "rill.chat.settings.v1";
/// Everything a chat request needs besides the messages and the key.
///
/// Saved as `{format, endpoint, model, system, temperature}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatSettings {
    pub format: ChatFormat,
    pub endpoint: String,
    pub model: String,
    pub system: String,
    pub temperature: Option<f64>,
    /// Set when the page's URL chose the format or endpoint: the user's own choice, which is
    /// what gets saved (never the link's).
    pub linked: Option<Linked>,
    /// The user confirmed the link's endpoint for this page (not saved).
    pub confirmed: bool,
}

/// The format and endpoint of the user's own settings, while a link overrides them.
#[derive(Debug, Clone, PartialEq)]
pub struct Linked {
    pub format: ChatFormat,
    pub endpoint: String,
}

impl Default for ChatSettings {
    fn default() -> Self {
        ChatSettings {
            format: ChatFormat::OpenAi,
            endpoint: ChatFormat::OpenAi.default_endpoint().to_string(),
            model: DEFAULT_MODEL.to_string(),
            system: String::new(),
            temperature: None,
            linked: None,
            confirmed: false,
        }
    }
}

impl ChatSettings {
    /// Saved settings, overridden by whatever the URL names. A URL that names a format
    /// but no endpoint gets that format's reference endpoint.
    pub fn resolve(config: &Config, saved: Option<ChatSettings>) -> ChatSettings {
        // The site's config.json is its operator's choice, not a link's: a first visit starts
        // from it, and it is saved like the user's own. Only what the URL adds on top of it
        // is a link (used, never saved, named in a banner when on another origin).
        let mut s = saved.unwrap_or_else(|| {
            let mut d = ChatSettings::default();
            if let Some(format) = config.file_format {
                d.format = format;
                d.endpoint = format.default_endpoint().to_string();
            }
            if let Some(endpoint) = &config.file_endpoint {
                d.endpoint = endpoint.clone();
            }
            d
        });
        if s.endpoint.trim().is_empty() {
            s.endpoint = s.format.default_endpoint().to_string();
        }
        let url_format = config.format.filter(|f| Some(*f) != config.file_format);
        let url_endpoint = config
            .endpoint
            .as_ref()
            .filter(|e| Some(*e) != config.file_endpoint.as_ref());
        if url_format.is_some() || url_endpoint.is_some() {
            s.linked = Some(Linked {
                format: s.format,
                endpoint: s.endpoint.clone(),
            });
        }
        if let Some(format) = url_format {
            if format != s.format && url_endpoint.is_none() {
                s.endpoint = format.default_endpoint().to_string();
            }
            s.format = format;
        }
        if let Some(endpoint) = url_endpoint {
            s.endpoint = endpoint.clone();
        }
        if let Some(model) = &config.model {
            s.model = model.clone();
        }
        if s.endpoint.trim().is_empty() {
            s.endpoint = s.format.default_endpoint().to_string();
        }
        s
    }

    /// The endpoint of the user's own settings (the saved one while a link overrides it).
    pub fn own_endpoint(&self) -> &str {
        self.linked.as_ref().map_or(&self.endpoint, |l| &l.endpoint)
    }

    /// The user chose a format or endpoint themselves: from now on it is theirs to save.
    pub fn adopt(&mut self) {
        self.linked = None;
        self.confirmed = false;
    }

    /// Back to the user's own format and endpoint, away from the link's.
    pub fn revert_link(&mut self) {
        if let Some(own) = self.linked.take() {
            self.format = own.format;
            self.endpoint = own.endpoint;
        }
        self.confirmed = false;
    }

    /// Saved form: the user's own format and endpoint, never a link's (and never a key).
    pub fn to_json(&self) -> String {
        let (format, endpoint) = match &self.linked {
            Some(own) => (own.format, own.endpoint.as_str()),
            None => (self.format, self.endpoint.as_str()),
        };
        Json::obj([
            ("format", format.as_str().into()),
            ("endpoint", endpoint.into()),
            ("model", self.model.as_str().into()),
            ("system", self.system.as_str().into()),
            ("temperature", self.temperature.into()),
        ])
        .to_string()
    }

    /// Reads the saved form; anything unreadable is ignored.
    pub fn from_json(json: &str) -> Option<ChatSettings> {
        let v = Json::parse(json).ok()?;
        let path = "settings";
        Some(ChatSettings {
            format: ChatFormat::parse(&read::string(&v, "format", path).ok()?)?,
            endpoint: read::string(&v, "endpoint", path).ok()?,
            model: read::string(&v, "model", path).ok()?,
            system: read::opt_string(&v, "system", path)
                .ok()?
                .unwrap_or_default(),
            temperature: read::opt_f64(&v, "temperature", path).ok()?,
            linked: None,
            confirmed: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_overrides_saved_and_format_brings_its_endpoint() {
        let saved = ChatSettings {
            system: "be brief".into(),
            ..ChatSettings::default()
        };
        let c = Config::from_query("format=ollama&model=llama3");
        let s = ChatSettings::resolve(&c, Some(saved));
        assert_eq!(s.format, ChatFormat::Ollama);
        assert_eq!(s.endpoint, "/api/chat");
        assert_eq!(s.model, "llama3");
        assert_eq!(s.system, "be brief");
        let c = Config::from_query("format=summary&endpoint=http%3A%2F%2Fh%3A8000%2Fgpt%2Fsummary");
        let s = ChatSettings::resolve(&c, None);
        assert_eq!(s.endpoint, "http://h:8000/gpt/summary");
    }

    #[test]
    fn a_links_endpoint_is_used_but_never_saved() {
        let own = ChatSettings {
            endpoint: "http://a.example/v1/chat/completions".into(),
            ..ChatSettings::default()
        };
        let c = Config::from_query("format=ollama&endpoint=http%3A%2F%2Fevil.example%2Fapi%2Fchat");
        let mut s = ChatSettings::resolve(&c, Some(own.clone()));
        assert_eq!(s.endpoint, "http://evil.example/api/chat");
        assert_eq!(s.own_endpoint(), own.endpoint);
        let saved = ChatSettings::from_json(&s.to_json()).expect("reads");
        assert_eq!(
            (saved.format, saved.endpoint.as_str()),
            (ChatFormat::OpenAi, own.endpoint.as_str())
        );
        // Going back restores the user's own; adopting makes the shown one theirs.
        let mut back = s.clone();
        back.revert_link();
        assert_eq!(
            (back.format, back.endpoint.as_str(), back.linked.is_none()),
            (ChatFormat::OpenAi, own.endpoint.as_str(), true)
        );
        s.adopt();
        let saved = ChatSettings::from_json(&s.to_json()).expect("reads");
        assert_eq!(saved.endpoint, "http://evil.example/api/chat");
        // No link, nothing linked.
        assert_eq!(
            ChatSettings::resolve(&Config::from_query("model=m"), Some(own)).linked,
            None
        );
    }

    #[test]
    fn the_sites_config_file_is_no_link_but_a_url_on_top_of_it_is() {
        let file = crate::config::ConfigFile::from_response(
            200,
            "application/json",
            r#"{"format":"ollama","endpoint":"http://api.example/api/chat"}"#.to_string(),
        );
        let s = ChatSettings::resolve(&Config::from_sources(&file, ""), None);
        assert_eq!(
            (s.format, s.endpoint.as_str(), s.linked.is_none()),
            (ChatFormat::Ollama, "http://api.example/api/chat", true)
        );
        let c = Config::from_sources(&file, "endpoint=http%3A%2F%2Fevil.example%2Fapi%2Fchat");
        let s = ChatSettings::resolve(&c, None);
        assert_eq!(s.endpoint, "http://evil.example/api/chat");
        assert_eq!(s.own_endpoint(), "http://api.example/api/chat");
        // What the user saved wins over the file.
        let own = ChatSettings {
            endpoint: "http://mine.example/v1/chat/completions".into(),
            ..ChatSettings::default()
        };
        let s = ChatSettings::resolve(&Config::from_sources(&file, ""), Some(own));
        assert_eq!(
            (s.endpoint.as_str(), s.linked.is_none()),
            ("http://mine.example/v1/chat/completions", true)
        );
    }

    #[test]
    fn settings_never_hold_a_key() {
        let json = ChatSettings::default().to_json();
        assert_eq!(
            Json::parse(&json).ok().and_then(|v| v.get("key").cloned()),
            None
        );
    }

    #[test]
    fn saved_settings_round_trip_and_earlier_saves_read() {
        let s = ChatSettings {
            format: ChatFormat::Ollama,
            endpoint: "http://h:11434/api/chat".into(),
            model: "llama3".into(),
            system: "be \"brief\"".into(),
            temperature: Some(0.7),
            linked: None,
            confirmed: false,
        };
        assert_eq!(ChatSettings::from_json(&s.to_json()), Some(s));
        // As serde_json wrote them, and with the optional members missing.
        let old = ChatSettings::from_json(
            r#"{"format":"summary","endpoint":"/gpt/summary","model":"m","system":"","temperature":0.7}"#,
        )
        .expect("reads");
        assert_eq!(
            (old.format, old.temperature),
            (ChatFormat::Summary, Some(0.7))
        );
        let bare = ChatSettings::from_json(r#"{"format":"openai","endpoint":"/e","model":"m"}"#);
        assert_eq!(
            bare.map(|s| (s.system, s.temperature)),
            Some((String::new(), None))
        );
        assert_eq!(
            ChatSettings::from_json(r#"{"format":"grpc","endpoint":"/e","model":"m"}"#),
            None
        );
    }
}
