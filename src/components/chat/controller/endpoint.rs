//! Where chat requests go and with which key: the settings' saving, a link's endpoint
//! (banner, confirm, revert), API keys bound to origins (`chat::keys`) and the model list.
//!
//! Must not: send a key to another origin than the one it was saved for.

use leptos::prelude::*;

use super::ChatCtx;
use crate::browser;
use crate::browser::url::origin_of;
use crate::chat::format::request_headers;
use crate::chat::keys::{self, KeyError, KeyRing, KEYRING_KEY, LEGACY_KEY};
use crate::chat::settings::{ChatSettings, SETTINGS_KEY};

impl ChatCtx {
    /// Saves the settings (the user's own endpoint, never a link's; never a key).
    pub fn save_settings(&self) {
        self.settings.with_untracked(|s| {
            browser::storage_set(SETTINGS_KEY, &s.to_json());
        });
    }

    /// True while the endpoint comes from a link to another origin than the user's own and
    /// the user has not confirmed it: no request carries a key then.
    pub fn endpoint_pending(&self) -> bool {
        self.pending.get()
    }

    /// Whether the banner about a link's endpoint is shown. Always while the link waits for
    /// confirmation, except in widget mode when no key is saved for the link's origin: the
    /// endpoint is the embedding site's, the panel names its host, and there is no key to
    /// protect (a saved key for that origin brings the banner back, and is not sent until
    /// the user confirms, as everywhere).
    pub fn link_banner(&self) -> bool {
        if !self.endpoint_pending() {
            return false;
        }
        if !self.embed {
            return true;
        }
        let endpoint = self.settings.with(|s| s.endpoint.clone());
        origin_of(&endpoint).is_some_and(|origin| self.keys.with(|k| k.get(&origin).is_some()))
    }

    /// The host a chat request goes to now, for people (`api.example:8080`).
    pub fn endpoint_host(&self) -> String {
        self.settings.with(|s| host_for_people(&s.endpoint))
    }

    /// The host of the user's own endpoint while a link overrides it.
    pub fn own_host(&self) -> String {
        self.settings.with(|s| host_for_people(s.own_endpoint()))
    }

    /// Uses the link's endpoint for this page (it is still not saved).
    pub fn confirm_link(&self) {
        self.settings.update(|s| s.confirmed = true);
    }

    /// Goes back to the user's own endpoint and drops the link's choice from the URL.
    pub fn revert_link(&self) {
        self.settings.update(ChatSettings::revert_link);
        self.save_settings();
        crate::browser::url::drop_query_params(&["endpoint", "format"]);
    }

    /// The key saved for the endpoint's origin (empty while a link waits for confirmation).
    pub fn current_key(&self) -> String {
        if self.endpoint_pending() {
            return String::new();
        }
        let origin = self.settings.with(|s| origin_of(&s.endpoint));
        origin
            .and_then(|o| self.keys.with(|k| k.get(&o).map(str::to_string)))
            .unwrap_or_default()
    }

    /// Saves `key` for the endpoint's origin (empty removes it). Refused while a link waits
    /// for confirmation, and for a key that is not visible ASCII.
    pub fn set_key(&self, key: &str) -> Result<(), KeyError> {
        keys::validate_key(key)?;
        if self.endpoint_pending() {
            return Ok(());
        }
        let Some(origin) = self.settings.with_untracked(|s| origin_of(&s.endpoint)) else {
            return Ok(());
        };
        self.keys.update(|k| k.set(&origin, key));
        self.keys
            .with_untracked(|k| browser::storage_set(KEYRING_KEY, &k.to_json()));
        Ok(())
    }

    /// The key header for a request to `url`: only a key saved for `url`'s own origin, and
    /// none while a link's endpoint waits for confirmation.
    /// The key saved for `url`'s own origin, if a request there may carry one now.
    pub(super) fn key_for(&self, url: &str) -> Option<String> {
        // A view already gone sends no key (fail closed).
        if self.pending.try_get_untracked().unwrap_or(true) {
            return None;
        }
        let origin = origin_of(url)?;
        self.keys
            .with_untracked(|k| k.get(&origin).map(str::to_string))
    }

    /// Loads the endpoint's model list (OpenAI `/v1/models`, Ollama `/api/tags`).
    pub fn load_models(&self) {
        let settings = self.settings.get_untracked();
        let Some(url) = settings.format.models_url(&settings.endpoint) else {
            self.models.set(Vec::new());
            return;
        };
        let ctx = *self;
        let auth = request_headers(settings.format, self.key_for(&url).as_deref());
        wasm_bindgen_futures::spawn_local(async move {
            let init = browser::FetchInit {
                headers: auth.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect(),
                ..browser::FetchInit::default()
            };
            let names = match browser::fetch(&url, init).await {
                Ok(r) if r.ok() => {
                    crate::chat::format::parse_models(&browser::response_text(&r).await)
                }
                _ => Vec::new(),
            };
            let _ = ctx.models.try_set(names);
        });
    }
}

/// The saved keys; a key saved by an earlier rill without an origin is moved into the keyring
/// under the origin of the user's own endpoint (where it was being sent), once.
pub(super) fn load_keys(own_endpoint: &str) -> KeyRing {
    let mut ring = browser::storage_get(KEYRING_KEY)
        .map(|j| KeyRing::from_json(&j))
        .unwrap_or_default();
    if let Some(legacy) = browser::storage_get(LEGACY_KEY) {
        let legacy = legacy.trim();
        if let Some(origin) = origin_of(own_endpoint) {
            if !legacy.is_empty() && ring.get(&origin).is_none() {
                ring.set(&origin, legacy);
                browser::storage_set(KEYRING_KEY, &ring.to_json());
            }
        }
        browser::storage_remove(LEGACY_KEY);
    }
    ring
}

/// The host of an endpoint URL for people, or the text itself when it has no origin.
fn host_for_people(endpoint: &str) -> String {
    match origin_of(endpoint) {
        Some(origin) => keys::host_of(&origin).to_string(),
        None => endpoint.chars().take(80).collect(),
    }
}
