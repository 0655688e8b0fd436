//! The languages rill highlights, as a fence's info word names them (a leaf: the renderer
//! asks it whether a fence wants highlighting, which `highlight` may not be built in to do;
//! see `rich.rs`).

/// A language rill highlights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Json,
    Shell,
    /// A shell session: lines starting with a prompt (`$ `, `# `, `% `) are commands, the
    /// others output.
    Console,
    Html,
    Css,
    Go,
    Java,
    C,
    Cpp,
    Sql,
    Yaml,
    Toml,
}

impl Lang {
    /// The language a fence's info word names (case-insensitive), with common aliases.
    pub(crate) fn from_name(name: &str) -> Option<Lang> {
        let lower = name.to_ascii_lowercase();
        Some(match lower.as_str() {
            "rust" | "rs" => Lang::Rust,
            "python" | "py" | "python3" | "py3" | "gyp" => Lang::Python,
            "javascript" | "js" | "jsx" | "mjs" | "cjs" | "node" => Lang::JavaScript,
            "typescript" | "ts" | "tsx" | "mts" | "cts" => Lang::TypeScript,
            "json" | "jsonc" | "json5" | "jsonl" | "ndjson" => Lang::Json,
            "sh" | "bash" | "zsh" | "shell" | "ksh" | "ash" | "dash" | "fish" => Lang::Shell,
            "console" | "shell-session" | "shellsession" | "sh-session" | "terminal" => {
                Lang::Console
            }
            "html" | "htm" | "xhtml" | "xml" | "svg" | "vue" | "svelte" | "rss" | "atom"
            | "plist" | "xsl" => Lang::Html,
            "css" | "scss" | "less" | "sass" => Lang::Css,
            "go" | "golang" => Lang::Go,
            "java" | "kotlin" | "kt" | "scala" | "groovy" => Lang::Java,
            "c" | "h" => Lang::C,
            "cpp" | "c++" | "cc" | "cxx" | "hpp" | "hh" | "hxx" | "h++" | "ino" | "cs"
            | "csharp" | "c#" | "objc" | "objective-c" => Lang::Cpp,
            "sql" | "mysql" | "postgres" | "postgresql" | "psql" | "sqlite" | "plsql" | "tsql" => {
                Lang::Sql
            }
            "yaml" | "yml" => Lang::Yaml,
            "toml" | "ini" | "cfg" | "conf" => Lang::Toml,
            _ => return None,
        })
    }
}
