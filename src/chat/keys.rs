//! API keys, each bound to the origin of the endpoint it was entered for (pure).
//!
//! The rule: a secret goes only where the user put it. A key is saved with the origin
//! (`scheme://host[:port]`, as the browser's URL parser gives it) of the endpoint that was
//! set when the user typed it, and a request carries a key only when its own URL has that
//! origin. A link cannot redirect a key: `?endpoint=http://other-host/…` has another origin,
//! so the saved key is not sent there, and the chat asks before it uses the link's endpoint
//! at all ([`needs_confirmation`]).
//!
//! Origins are computed by the caller (the browser's `URL`, the same parser `fetch` uses), so
//! this module never has to agree with a URL parser of its own about tricky URLs.
//!
//! Saved in `localStorage` under [`KEYRING_KEY`] as `{"keys":[{"origin":…,"key":…}]}`, apart
//! from the settings; never in URLs, exports, settings, error messages or logs.

use crate::json::{read, Json};

/// Where the keys are saved.
pub const KEYRING_KEY: &str = "rill.chat.keys.v1";
/// Where rill saved one key without an origin before keys had origins (read once, then
/// moved into the keyring under the saved endpoint's origin and removed).
pub const LEGACY_KEY: &str = "rill.chat.apikey";
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 1024;
/// At most this many origins keep a key (the oldest entry goes first).
const MAX_ENTRIES: usize = 32;

/// Why a typed key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// A character that is not visible ASCII (a space, a control character, non-ASCII).
    BadChar,
    /// Longer than [`MAX_KEY_LEN`].
    TooLong,
}

/// Checks a typed key: visible ASCII (`!`…`~`) only, at most [`MAX_KEY_LEN`] bytes. An
/// empty key is valid (it removes the saved one). Surrounding whitespace is the caller's to
/// trim (a pasted key often carries a newline).
pub fn validate_key(key: &str) -> Result<(), KeyError> {
    if key.len() > MAX_KEY_LEN {
        return Err(KeyError::TooLong);
    }
    if key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(KeyError::BadChar)
    }
}

/// Keys by origin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRing {
    /// (origin, key), oldest first; origins are unique, keys never empty.
    entries: Vec<(String, String)>,
}

impl KeyRing {
    /// The key saved for `origin`, if any.
    pub fn get(&self, origin: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(o, _)| o == origin)
            .map(|(_, k)| k.as_str())
    }

    /// Saves `key` for `origin`; an empty key removes it. The key must have passed
    /// [`validate_key`]; one that does not is not saved.
    pub fn set(&mut self, origin: &str, key: &str) {
        self.entries.retain(|(o, _)| o != origin);
        if key.is_empty() || origin.is_empty() || validate_key(key).is_err() {
            return;
        }
        self.entries.push((origin.to_string(), key.to_string()));
        if self.entries.len() > MAX_ENTRIES {
            self.entries.remove(0);
        }
    }

    /// The origins that have a key.
    pub fn origins(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(o, _)| o.as_str())
    }

    /// The saved form.
    pub fn to_json(&self) -> String {
        Json::obj([(
            "keys",
            Json::Arr(
                self.entries
                    .iter()
                    .map(|(o, k)| {
                        Json::obj([("origin", o.as_str().into()), ("key", k.as_str().into())])
                    })
                    .collect(),
            ),
        )])
        .to_string()
    }

    /// Reads the saved form; entries that are unreadable or invalid are dropped.
    pub fn from_json(json: &str) -> KeyRing {
        let mut ring = KeyRing::default();
        let Ok(value) = Json::parse(json) else {
            return ring;
        };
        let Ok(list) = read::array(&value, "keys", "keyring") else {
            return ring;
        };
        for entry in list {
            if let (Ok(origin), Ok(key)) = (
                read::string(entry, "origin", "keyring"),
                read::string(entry, "key", "keyring"),
            ) {
                ring.set(&origin, &key);
            }
        }
        ring
    }
}

/// Whether the chat must ask before using `endpoint_origin`: the endpoint came from the page's
/// URL (a link anyone can craft) and is not confirmed yet (`from_url`), and its origin is not
/// the one the user's own settings use. An origin the browser cannot parse always needs
/// asking.
pub fn needs_confirmation(
    from_url: bool,
    endpoint_origin: Option<&str>,
    saved_origin: Option<&str>,
) -> bool {
    from_url && (endpoint_origin.is_none() || endpoint_origin != saved_origin)
}

/// The host (and port) of an origin, for people: `http://127.0.0.1:8844` → `127.0.0.1:8844`.
pub fn host_of(origin: &str) -> &str {
    origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_only() {
        assert_eq!(validate_key("sk-proj_AbC.123~!"), Ok(()));
        assert_eq!(validate_key(""), Ok(()));
        for bad in [
            "sk 1",
            "sk\t1",
            "sk\n1",
            "ключ",
            "sk\u{7f}",
            "sk\0",
            "sk\u{200b}1",
        ] {
            assert_eq!(validate_key(bad), Err(KeyError::BadChar), "{bad:?}");
        }
        assert_eq!(validate_key(&"k".repeat(MAX_KEY_LEN)), Ok(()));
        assert_eq!(
            validate_key(&"k".repeat(MAX_KEY_LEN + 1)),
            Err(KeyError::TooLong)
        );
    }

    #[test]
    fn a_key_belongs_to_its_origin_only() {
        let mut ring = KeyRing::default();
        ring.set("http://a.example:8080", "sk-a");
        ring.set("https://api.example", "sk-b");
        assert_eq!(ring.get("http://a.example:8080"), Some("sk-a"));
        assert_eq!(ring.get("http://a.example"), None);
        assert_eq!(ring.get("https://a.example:8080"), None);
        assert_eq!(ring.get("http://evil.example"), None);
        ring.set("http://a.example:8080", "sk-a2");
        assert_eq!(ring.get("http://a.example:8080"), Some("sk-a2"));
        ring.set("http://a.example:8080", "");
        assert_eq!(ring.get("http://a.example:8080"), None);
        // An invalid key is never saved, and it removes nothing else.
        ring.set("https://api.example", "has space");
        assert_eq!(ring.get("https://api.example"), None);
        ring.set("", "sk-x");
        assert_eq!(ring.origins().count(), 0);
    }

    #[test]
    fn the_keyring_round_trips_and_drops_what_it_cannot_read() {
        let mut ring = KeyRing::default();
        ring.set("http://a.example", "sk-\"quoted\"");
        ring.set("http://b.example", "sk-b");
        assert_eq!(KeyRing::from_json(&ring.to_json()), ring);
        assert_eq!(KeyRing::from_json("{"), KeyRing::default());
        assert_eq!(KeyRing::from_json("[]"), KeyRing::default());
        let mixed = KeyRing::from_json(
            r#"{"keys":[{"origin":"http://a.example","key":"ok"},{"origin":"http://b.example","key":"no space"},{"origin":1,"key":"x"}]}"#,
        );
        assert_eq!(mixed.origins().collect::<Vec<_>>(), ["http://a.example"]);
    }

    #[test]
    fn the_keyring_is_bounded() {
        let mut ring = KeyRing::default();
        for i in 0..100 {
            ring.set(&format!("http://h{i}.example"), "k");
        }
        assert_eq!(ring.origins().count(), MAX_ENTRIES);
        assert_eq!(ring.get("http://h99.example"), Some("k"));
        assert_eq!(ring.get("http://h0.example"), None);
    }

    #[test]
    fn only_a_link_to_another_origin_needs_confirmation() {
        let a = Some("http://a.example");
        let b = Some("http://b.example");
        assert!(!needs_confirmation(false, b, a), "the user's own setting");
        assert!(!needs_confirmation(true, a, a), "same origin as saved");
        assert!(needs_confirmation(true, b, a));
        assert!(needs_confirmation(true, None, a), "unparseable");
        assert!(needs_confirmation(true, None, None));
    }

    #[test]
    fn hosts_for_people() {
        assert_eq!(host_of("http://127.0.0.1:8844"), "127.0.0.1:8844");
        assert_eq!(host_of("https://api.example"), "api.example");
        assert_eq!(host_of("null"), "null");
    }
}
