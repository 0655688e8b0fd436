//! Chat settings: endpoint, format, model, system prompt, temperature and API key.
//!
//! Pure resolution of URL parameters over saved settings; saving is the view's job.
//! The API key is never serialised with the rest: it is stored on its own in
//! localStorage and sent only as a request header, never in URLs, logs or exports.

use super::format::ChatFormat;
use crate::config::Config;
use crate::json::{read, Json};

/// The model the reference backend's built-in demo answers as.
pub const DEFAULT_MODEL: &str = "rill-demo";
/// Where settings are saved (without the key).
pub const SETTINGS_KEY: &str = "rill.chat.settings.v1";
/// Where the API key is saved.
pub const API_KEY_KEY: &str = "rill.chat.apikey";

/// Everything a chat request needs besides the messages.
///
/// Saved as `{format, endpoint, model, system, temperature}`: never the key.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatSettings {
    pub format: ChatFormat,
    pub endpoint: String,
    pub model: String,
    pub system: String,
    pub temperature: Option<f64>,
    pub api_key: String,
}

impl Default for ChatSettings {
    fn default() -> Self {
        ChatSettings {
            format: ChatFormat::OpenAi,
            endpoint: ChatFormat::OpenAi.default_endpoint().to_string(),
            model: DEFAULT_MODEL.to_string(),
            system: String::new(),
            temperature: None,
            api_key: String::new(),
        }
    }
}

impl ChatSettings {
    /// Saved settings, overridden by whatever the URL names. A URL that names a format
    /// but no endpoint gets that format's reference endpoint.
    pub fn resolve(
        config: &Config,
        saved: Option<ChatSettings>,
        api_key: Option<String>,
    ) -> ChatSettings {
        let mut s = saved.unwrap_or_default();
        if let Some(format) = config.format {
            if format != s.format && config.endpoint.is_none() {
                s.endpoint = format.default_endpoint().to_string();
            }
            s.format = format;
        }
        if let Some(endpoint) = &config.endpoint {
            s.endpoint = endpoint.clone();
        }
        if let Some(model) = &config.model {
            s.model = model.clone();
        }
        if s.endpoint.trim().is_empty() {
            s.endpoint = s.format.default_endpoint().to_string();
        }
        s.api_key = api_key.unwrap_or_default();
        s
    }

    /// Saved form (JSON without the key).
    pub fn to_json(&self) -> String {
        Json::obj([
            ("format", self.format.as_str().into()),
            ("endpoint", self.endpoint.as_str().into()),
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
            api_key: String::new(),
        })
    }

    /// Request headers, with the key as a bearer token when set.
    pub fn auth_headers(&self) -> Vec<(String, String)> {
        let key = self.api_key.trim();
        if key.is_empty() {
            Vec::new()
        } else {
            vec![("Authorization".to_string(), format!("Bearer {key}"))]
        }
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
        let s = ChatSettings::resolve(&c, Some(saved), Some("sk-1".into()));
        assert_eq!(s.format, ChatFormat::Ollama);
        assert_eq!(s.endpoint, "/api/chat");
        assert_eq!(s.model, "llama3");
        assert_eq!(s.system, "be brief");
        assert_eq!(s.api_key, "sk-1");
        let c = Config::from_query("format=summary&endpoint=http%3A%2F%2Fh%3A8000%2Fgpt%2Fsummary");
        let s = ChatSettings::resolve(&c, None, None);
        assert_eq!(s.endpoint, "http://h:8000/gpt/summary");
    }

    #[test]
    fn api_key_is_never_serialised() {
        let s = ChatSettings {
            api_key: "sk-secret".into(),
            ..ChatSettings::default()
        };
        let json = s.to_json();
        assert!(!json.contains("sk-secret"), "{json}");
        assert_eq!(
            ChatSettings::from_json(&json).map(|s| s.api_key),
            Some(String::new())
        );
        assert_eq!(
            s.auth_headers(),
            [("Authorization".to_string(), "Bearer sk-secret".to_string())]
        );
        assert!(ChatSettings::default().auth_headers().is_empty());
    }

    #[test]
    fn saved_settings_round_trip_and_earlier_saves_read() {
        let s = ChatSettings {
            format: ChatFormat::Ollama,
            endpoint: "http://h:11434/api/chat".into(),
            model: "llama3".into(),
            system: "be \"brief\"".into(),
            temperature: Some(0.7),
            api_key: String::new(),
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
