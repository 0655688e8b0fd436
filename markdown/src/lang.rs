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

/// The names of each language, in the order of [`LANGS`]: one group per language, `|`
/// between groups, a space between names. One string rather than a `match` (which compiled
/// to 2 KB of comparisons in the markdown module, where only this lookup is needed).
const NAMES: &str = "rust rs\
    |python py python3 py3 gyp\
    |javascript js jsx mjs cjs node\
    |typescript ts tsx mts cts\
    |json jsonc json5 jsonl ndjson\
    |sh bash zsh shell ksh ash dash fish\
    |console shell-session shellsession sh-session terminal\
    |html htm xhtml xml svg vue svelte rss atom plist xsl\
    |css scss less sass\
    |go golang\
    |java kotlin kt scala groovy\
    |c h\
    |cpp c++ cc cxx hpp hh hxx h++ ino cs csharp c# objc objective-c\
    |sql mysql postgres postgresql psql sqlite plsql tsql\
    |yaml yml\
    |toml ini cfg conf";

/// The language of each group of [`NAMES`].
const LANGS: [Lang; 16] = [
    Lang::Rust,
    Lang::Python,
    Lang::JavaScript,
    Lang::TypeScript,
    Lang::Json,
    Lang::Shell,
    Lang::Console,
    Lang::Html,
    Lang::Css,
    Lang::Go,
    Lang::Java,
    Lang::C,
    Lang::Cpp,
    Lang::Sql,
    Lang::Yaml,
    Lang::Toml,
];

impl Lang {
    /// The language a fence's info word names (case-insensitive), with common aliases.
    pub(crate) fn from_name(name: &str) -> Option<Lang> {
        NAMES
            .split('|')
            .zip(LANGS)
            .find(|(group, _)| {
                group
                    .split(' ')
                    .any(|known| !known.is_empty() && known.eq_ignore_ascii_case(name))
            })
            .map(|(_, lang)| lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table as it was written before it became one string: the oracle.
    fn by_match(name: &str) -> Option<Lang> {
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

    #[test]
    fn every_name_and_alias_names_the_language_the_match_named() {
        let names: Vec<&str> = NAMES.split(['|', ' ']).filter(|n| !n.is_empty()).collect();
        // The 88 names of the match, each once.
        assert_eq!(names.len(), 88);
        let unique: std::collections::HashSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len());
        for name in names {
            assert!(by_match(name).is_some(), "{name}");
            assert_eq!(Lang::from_name(name), by_match(name), "{name}");
            let upper = name.to_ascii_uppercase();
            assert_eq!(Lang::from_name(&upper), by_match(name), "{upper}");
        }
    }

    #[test]
    fn other_words_name_no_language() {
        for name in [
            "", " ", "|", "rs py", "rust|", "text", "klingon", "c+", "jso", "ß",
        ] {
            assert_eq!(Lang::from_name(name), None, "{name:?}");
            assert_eq!(by_match(name), None, "{name:?}");
        }
    }
}
