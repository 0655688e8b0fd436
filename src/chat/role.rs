//! Who wrote a message: a leaf that the conversation model and the wire formats both use
//! (each imports it; neither imports the other for it).

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::System, Role::User, Role::Assistant];

    /// The wire name (`data-role`, OpenAI and Ollama `role`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }

    /// Reads a wire name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}
