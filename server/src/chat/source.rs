//! Text on its way into the summary feed: the one type that the summary endpoint (which
//! turns it into events) and the upstream client (which produces it from an upstream's
//! reply) share. A leaf, so neither of the two imports the other for it.

use std::io;

/// Text on its way into the feed, from the demo model or the upstream.
pub(crate) enum Source {
    /// Generated text.
    Text(String),
    /// `[[drop:N]]`: write what has gathered as an unfinished event.
    Partial,
    /// Abort the response.
    Abort(io::Error),
}
