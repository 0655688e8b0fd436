//! Syntax highlighting of fenced code: code text in, text nodes and token spans out.
//!
//! Owns the languages rill highlights ([`Lang`], named by a fence's info string with the
//! usual aliases), the closed set of token classes ([`Kind`], each a [`Tag`] of its own, so
//! no class name ever comes from the input), and [`LineHighlighter`], which highlights a
//! growing code block line by line so that an open fence costs only its new lines.
//!
//! Highlighting is lexical and line-based: each language family has a small hand-written
//! scanner (`highlight/scan.rs` for C-like, Python, shell, SQL and data formats;
//! `highlight/markup.rs` for HTML/XML; `highlight/css.rs`) that reads one line from a
//! [`State`] (an open block comment, string or tag) and leaves the state for the next. So a
//! line's tokens depend only on the state before it and the line itself, which is what lets
//! [`LineHighlighter`] keep finished lines and give exactly what [`highlight`] gives for
//! the whole text. It must not build anything but text and token elements, and it never
//! drops text: the concatenated text of the output is the input.

mod css;
mod markup;
mod scan;

pub(crate) use crate::lang::Lang;
use crate::limits::OPEN_HIGHLIGHT_LIMIT;
use crate::node::{push_text, Node, Tag};

/// A token class; each is shown as a `span` with a fixed `rill-tok-…` class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Keyword,
    String,
    Number,
    Comment,
    Function,
    Type,
    Constant,
    Operator,
    Punctuation,
    Property,
    Tag,
    Variable,
    Meta,
}

impl Kind {
    fn tag(self) -> Tag {
        match self {
            Kind::Keyword => Tag::TokKeyword,
            Kind::String => Tag::TokString,
            Kind::Number => Tag::TokNumber,
            Kind::Comment => Tag::TokComment,
            Kind::Function => Tag::TokFunction,
            Kind::Type => Tag::TokType,
            Kind::Constant => Tag::TokConstant,
            Kind::Operator => Tag::TokOperator,
            Kind::Punctuation => Tag::TokPunctuation,
            Kind::Property => Tag::TokProperty,
            Kind::Tag => Tag::TokTag,
            Kind::Variable => Tag::TokVariable,
            Kind::Meta => Tag::TokMeta,
        }
    }
}

/// What a line leaves open for the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum State {
    #[default]
    Normal,
    /// Inside a block comment (`/* … */`, or `<!-- … -->` in markup).
    Comment,
    /// Inside a string that goes on: its quote byte, whether it is tripled (`"""`), whether
    /// backslash escapes count, and the `#`s of a Rust raw string.
    Str {
        quote: u8,
        triple: bool,
        raw: bool,
        hashes: u8,
    },
    /// Markup: inside a tag, between its attributes.
    InTag,
    /// CSS: inside `depth` braces.
    Block { depth: u8 },
    /// CSS: inside a comment, inside `depth` braces.
    CommentIn { depth: u8 },
}

/// Receives a line's tokens; text of no class is plain.
pub(crate) struct Out<'a> {
    nodes: &'a mut Vec<Node>,
}

impl Out<'_> {
    pub(crate) fn plain(&mut self, text: &str) {
        push_text(self.nodes, text);
    }

    /// A token; adjacent tokens of one class become one span.
    pub(crate) fn token(&mut self, kind: Kind, text: &str) {
        if text.is_empty() {
            return;
        }
        let tag = kind.tag();
        if let Some(Node::Element {
            tag: last,
            children,
            ..
        }) = self.nodes.last_mut()
        {
            if *last == tag {
                push_text(children, text);
                return;
            }
        }
        self.nodes
            .push(Node::element(tag, vec![Node::Text(text.to_owned())]));
    }

    pub(crate) fn emit(&mut self, kind: Option<Kind>, text: &str) {
        match kind {
            Some(kind) => self.token(kind, text),
            None => self.plain(text),
        }
    }
}

/// Highlights one line (without its `\n`) starting in `state`, which is left as the next
/// line's.
fn line(lang: Lang, state: &mut State, text: &str, nodes: &mut Vec<Node>) {
    let mut out = Out { nodes };
    match lang {
        Lang::Html => markup::line(state, text, &mut out),
        Lang::Css => css::line(state, text, &mut out),
        Lang::Console => {
            let prompt = ["$ ", "# ", "% ", "> "]
                .iter()
                .find(|p| text.starts_with(**p) && *state == State::Normal);
            match prompt {
                Some(prompt) => {
                    out.token(Kind::Meta, &prompt[..1]);
                    out.plain(" ");
                    scan::line(scan::syntax(Lang::Shell), state, &text[2..], &mut out);
                }
                None if *state == State::Normal => out.plain(text),
                None => scan::line(scan::syntax(Lang::Shell), state, text, &mut out),
            }
        }
        _ => scan::line(scan::syntax(lang), state, text, &mut out),
    }
}

/// The highlighted nodes of a whole code text.
pub(crate) fn highlight(lang: Lang, code: &str) -> Vec<Node> {
    let mut highlighter = LineHighlighter::new(lang);
    highlighter.view(code)
}

/// Highlights a code text that only grows (an open fenced code block): finished lines are
/// highlighted once and kept; past [`OPEN_HIGHLIGHT_LIMIT`] the rest is plain.
#[derive(Debug, Clone)]
pub(crate) struct LineHighlighter {
    lang: Lang,
    state: State,
    /// The nodes of `code[..done]`, which ends at a `\n` (or is empty).
    nodes: Vec<Node>,
    done: usize,
}

impl LineHighlighter {
    pub(crate) fn new(lang: Lang) -> LineHighlighter {
        LineHighlighter {
            lang,
            state: State::Normal,
            nodes: Vec::new(),
            done: 0,
        }
    }

    /// The nodes of `code`, which must extend the code of earlier calls. Equal to
    /// [`highlight`] of `code` while it is within [`OPEN_HIGHLIGHT_LIMIT`].
    pub(crate) fn view_open(&mut self, code: &str) -> Vec<Node> {
        if self.done >= OPEN_HIGHLIGHT_LIMIT && code.len() >= self.done {
            let mut nodes = self.nodes.clone();
            push_text(&mut nodes, code.get(self.done..).unwrap_or(""));
            return nodes;
        }
        self.view(code)
    }

    /// The nodes of `code`, which must extend the code of earlier calls: [`highlight`] of
    /// `code`.
    pub(crate) fn view(&mut self, code: &str) -> Vec<Node> {
        let Some(new) = code.get(self.done..) else {
            // Not an extension: start over.
            *self = LineHighlighter::new(self.lang);
            return self.view(code);
        };
        let mut start = 0;
        while let Some(end) = new[start..].find('\n') {
            line(
                self.lang,
                &mut self.state,
                &new[start..start + end],
                &mut self.nodes,
            );
            push_text(&mut self.nodes, "\n");
            start += end + 1;
        }
        self.done += start;
        let mut nodes = self.nodes.clone();
        let mut state = self.state;
        line(self.lang, &mut state, &new[start..], &mut nodes);
        nodes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(class, text)` for every token, plain text as `""`.
    fn tokens(lang: &str, code: &str) -> Vec<(&'static str, String)> {
        let lang = Lang::from_name(lang).expect("a language");
        highlight(lang, code)
            .into_iter()
            .map(|node| match node {
                Node::Text(text) => ("", text),
                Node::Element { tag, .. } => (tag.class().unwrap_or("?"), node.text_content()),
            })
            .collect()
    }

    fn classes_of(lang: &str, code: &str, class: &str) -> Vec<String> {
        tokens(lang, code)
            .into_iter()
            .filter(|(c, _)| c.ends_with(class))
            .map(|(_, t)| t)
            .collect()
    }

    #[test]
    fn aliases_name_languages() {
        for (name, lang) in [
            ("rs", Lang::Rust),
            ("Py", Lang::Python),
            ("tsx", Lang::TypeScript),
            ("jsx", Lang::JavaScript),
            ("zsh", Lang::Shell),
            ("console", Lang::Console),
            ("yml", Lang::Yaml),
            ("c++", Lang::Cpp),
            ("h", Lang::C),
            ("golang", Lang::Go),
        ] {
            assert_eq!(Lang::from_name(name), Some(lang), "{name}");
        }
        assert_eq!(Lang::from_name("brainfuck"), None);
    }

    #[test]
    fn rust_keywords_strings_numbers_comments_functions_types() {
        let code = "fn main() {\n    let s: String = format!(\"hi {}\", 42); // done\n}\n";
        let all = tokens("rust", code);
        let text: String = all.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(text, code, "no text is lost");
        assert_eq!(classes_of("rust", code, "keyword"), vec!["fn", "let"]);
        assert_eq!(
            classes_of("rust", code, "function"),
            vec!["main", "format!"]
        );
        assert_eq!(classes_of("rust", code, "type"), vec!["String"]);
        assert_eq!(classes_of("rust", code, "string"), vec!["\"hi {}\""]);
        assert_eq!(classes_of("rust", code, "number"), vec!["42"]);
        assert_eq!(classes_of("rust", code, "comment"), vec!["// done"]);
    }

    #[test]
    fn rust_lifetimes_raw_strings_and_attributes() {
        let code =
            "#[derive(Debug)]\nstruct A<'a>(&'a str, char);\nlet r = r#\"x\"y\"#; let c = 'c';";
        assert_eq!(classes_of("rs", code, "string"), vec!["r#\"x\"y\"#", "'c'"]);
        assert_eq!(classes_of("rs", code, "meta"), vec!["#[derive(Debug)]"]);
        assert_eq!(classes_of("rs", code, "variable"), vec!["'a", "'a"]);
    }

    #[test]
    fn block_comments_and_strings_go_on_across_lines() {
        let code = "a /* one\ntwo */ b\nconst t = `x\ny`;";
        assert_eq!(classes_of("js", code, "comment"), vec!["/* one", "two */"]);
        assert_eq!(classes_of("js", code, "string"), vec!["`x", "y`"]);
        let py = "def f():\n    \"\"\"Doc\n    more\"\"\"\n    return None";
        assert_eq!(
            classes_of("py", py, "string"),
            vec!["\"\"\"Doc", "    more\"\"\""]
        );
        assert_eq!(classes_of("py", py, "constant"), vec!["None"]);
        assert_eq!(classes_of("py", py, "function"), vec!["f"]);
    }

    #[test]
    fn python_decorators_and_prefixed_strings() {
        let code = "@cache\nx = f\"a{b}\" + b'c'  # note";
        assert_eq!(classes_of("python", code, "meta"), vec!["@cache"]);
        assert_eq!(
            classes_of("python", code, "string"),
            vec!["f\"a{b}\"", "b'c'"]
        );
        assert_eq!(classes_of("python", code, "comment"), vec!["# note"]);
    }

    #[test]
    fn shell_variables_options_comments_and_console_prompts() {
        let code = "export PATH=\"$HOME/bin\" # set\nls -la $DIR | grep x";
        assert_eq!(classes_of("sh", code, "comment"), vec!["# set"]);
        assert_eq!(classes_of("sh", code, "variable"), vec!["$DIR"]);
        assert_eq!(classes_of("sh", code, "keyword"), vec!["export"]);
        assert_eq!(classes_of("sh", code, "property"), vec!["-la"]);
        let session = "$ cargo build\n   Compiling x\n$ echo ok";
        assert_eq!(classes_of("console", session, "meta"), vec!["$", "$"]);
        assert_eq!(
            classes_of("console", session, "function"),
            vec!["cargo", "echo"]
        );
    }

    #[test]
    fn json_keys_are_properties_and_values_keep_their_classes() {
        let code = "{\"name\": \"rill\", \"n\": -1.5e3, \"ok\": true, \"x\": null}";
        assert_eq!(
            classes_of("json", code, "property"),
            vec!["\"name\"", "\"n\"", "\"ok\"", "\"x\""]
        );
        assert_eq!(classes_of("json", code, "string"), vec!["\"rill\""]);
        assert_eq!(classes_of("json", code, "number"), vec!["1.5e3"]);
        assert_eq!(classes_of("json", code, "constant"), vec!["true", "null"]);
    }

    #[test]
    fn yaml_and_toml_keys_sections_and_comments() {
        let yaml = "name: rill # app\nlist:\n  - on: true\n";
        assert_eq!(
            classes_of("yaml", yaml, "property"),
            vec!["name", "list", "on"]
        );
        assert_eq!(classes_of("yaml", yaml, "comment"), vec!["# app"]);
        let toml = "[package]\nname = \"rill\"\nversion = 2\n";
        assert_eq!(classes_of("toml", toml, "type"), vec!["[package]"]);
        assert_eq!(
            classes_of("toml", toml, "property"),
            vec!["name", "version"]
        );
    }

    #[test]
    fn sql_keywords_are_case_insensitive() {
        let code = "select id, count(*) FROM t WHERE name = 'x' -- c";
        assert_eq!(
            classes_of("sql", code, "keyword"),
            vec!["select", "FROM", "WHERE"]
        );
        assert_eq!(classes_of("sql", code, "function"), vec!["count"]);
        assert_eq!(classes_of("sql", code, "string"), vec!["'x'"]);
        assert_eq!(classes_of("sql", code, "comment"), vec!["-- c"]);
    }

    #[test]
    fn markup_tags_attributes_values_and_comments() {
        let code = "<a href=\"x\" hidden>t &amp; <!-- c\n--></a>\n<script>alert(1)</script>";
        assert_eq!(
            classes_of("html", code, "tag"),
            vec!["a", "a", "script", "script"]
        );
        assert_eq!(classes_of("html", code, "property"), vec!["href", "hidden"]);
        assert_eq!(classes_of("html", code, "string"), vec!["\"x\""]);
        assert_eq!(classes_of("html", code, "comment"), vec!["<!-- c", "-->"]);
        assert_eq!(classes_of("html", code, "constant"), vec!["&amp;"]);
    }

    #[test]
    fn css_selectors_properties_and_values() {
        let code =
            ".a:hover, #b {\n  color: #fff;\n  margin: 0 2px !important; /* c */\n}\n@media x {}";
        assert_eq!(classes_of("css", code, "property"), vec!["color", "margin"]);
        assert_eq!(classes_of("css", code, "number"), vec!["#fff", "0", "2px"]);
        assert_eq!(classes_of("css", code, "comment"), vec!["/* c */"]);
        assert_eq!(
            classes_of("css", code, "keyword"),
            vec![":hover", "!important", "@media"]
        );
        assert_eq!(classes_of("css", code, "type"), vec![".a", "#b"]);
    }

    #[test]
    fn c_like_languages_share_the_scanner() {
        let go = "package main\nfunc main() { fmt.Println(`raw`) }";
        assert_eq!(classes_of("go", go, "keyword"), vec!["package", "func"]);
        assert_eq!(classes_of("go", go, "function"), vec!["main", "Println"]);
        let c = "#include <stdio.h>\nint main(void) { return 0; }";
        assert_eq!(classes_of("c", c, "meta"), vec!["#include <stdio.h>"]);
        assert_eq!(classes_of("c", c, "type"), vec!["int", "void"]);
        let java = "@Override public String toString() { return \"x\"; }";
        assert_eq!(classes_of("java", java, "meta"), vec!["@Override"]);
        let ts = "interface A { x: number }\nconst f = (a: A): void => {};";
        assert_eq!(
            classes_of("ts", ts, "keyword"),
            vec!["interface", "const", "void"]
        );
        assert!(classes_of("ts", ts, "type").contains(&"number".to_owned()));
    }

    #[test]
    fn line_by_line_equals_whole_for_every_prefix() {
        let samples = [
            (
                "rs",
                "fn a() {\n    /* x\n */ let s = \"a\nb\"; r#\"q\n\"#;\n}\n",
            ),
            ("py", "'''a\nb''' + \"c\"\n# d\n"),
            ("html", "<a\n  href='x\ny'>t<!--\n-->\n"),
            ("css", "a {\n  b: c; /* d\n */ }\n"),
            ("console", "$ echo 'a\nb'\nout\n"),
        ];
        for (lang, code) in samples {
            let lang = Lang::from_name(lang).expect("lang");
            let mut streaming = LineHighlighter::new(lang);
            for (end, _) in code.char_indices().chain([(code.len(), ' ')]) {
                assert_eq!(
                    streaming.view(&code[..end]),
                    highlight(lang, &code[..end]),
                    "{lang:?} {:?}",
                    &code[..end]
                );
            }
        }
    }
}
