//! The scanner for the languages that are words, strings, numbers, comments and operators:
//! the C family (Rust, JavaScript/TypeScript, Go, Java, C/C++), Python, shell, SQL and the
//! data formats (JSON, YAML, TOML). Each language is a [`Syntax`]: its comment markers, its
//! quotes, its word lists and a few switches; one line is scanned at a time from a
//! [`State`]. It must not look at other lines: what goes on is in the state.

use super::{Kind, Lang, Out, State};

/// How one language reads.
pub(crate) struct Syntax {
    line_comments: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    /// Quote bytes that open strings; `'` in Rust is a char or a lifetime.
    quotes: &'static [u8],
    /// Strings may go on to the next line (Rust, shell, SQL; a backtick always may).
    multiline_strings: bool,
    /// `'''` and `"""` open strings that end only at the same three quotes.
    triple_quotes: bool,
    /// Single-quoted strings have no escapes (shell, SQL's `''` is two strings in a row).
    raw_single: bool,
    keywords: &'static [&'static str],
    types: &'static [&'static str],
    constants: &'static [&'static str],
    builtins: &'static [&'static str],
    ignore_case: bool,
    /// A word that starts with a capital letter is a type.
    capital_is_type: bool,
    flags: u16,
}

/// A `#` starting a line (after spaces) begins a preprocessor line (C, C++).
const HASH_META: u16 = 1;
/// `@name` is a decorator or annotation.
const AT_META: u16 = 1 << 1;
/// `$name`, `${…}`, `$1` are variables (shell).
const DOLLAR_VAR: u16 = 1 << 2;
/// A word or string followed by `:` is a key (JSON, YAML).
const KEY_COLON: u16 = 1 << 3;
/// A word at the start of a line followed by `=` is a key; `[…]` lines are sections (TOML).
const KEY_EQUALS: u16 = 1 << 4;
/// Rust: lifetimes, raw strings, `name!` macros, `#[…]` attributes.
const RUST: u16 = 1 << 5;
/// Words may hold `-` (shell, YAML); a word starting with `-` is an option (shell).
const DASH_WORDS: u16 = 1 << 6;
/// Comments start only at the start of a word (`#` in shell and YAML).
const COMMENT_AT_WORD: u16 = 1 << 7;
/// `$` is part of words (JavaScript).
const DOLLAR_WORDS: u16 = 1 << 8;
/// The first word of a command is a function (shell).
const COMMAND_WORDS: u16 = 1 << 9;
/// Backtick strings have no escapes (Go).
const RAW_BACKTICK: u16 = 1 << 10;
/// Short letter prefixes before a quote belong to the string (Python `f"…"`, Rust `b"…"`).
const STRING_PREFIXES: u16 = 1 << 11;

const RUST_SYNTAX: Syntax = Syntax {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: b"\"'",
    multiline_strings: true,
    triple_quotes: false,
    raw_single: false,
    keywords: &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
        "pub", "ref", "return", "self", "static", "struct", "super", "trait", "type", "unsafe",
        "use", "where", "while", "yield",
    ],
    types: &[
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
        "f32", "f64", "bool", "char", "str", "Self",
    ],
    constants: &["true", "false", "None", "Some", "Ok", "Err"],
    builtins: &[],
    ignore_case: false,
    capital_is_type: true,
    flags: RUST | STRING_PREFIXES,
};

const JS_KEYWORDS: &[&str] = &[
    "async",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "export",
    "extends",
    "finally",
    "for",
    "from",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "let",
    "new",
    "of",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "as",
    "get",
    "set",
];

const JS_SYNTAX: Syntax = Syntax {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: b"\"'`",
    multiline_strings: false,
    triple_quotes: false,
    raw_single: false,
    keywords: JS_KEYWORDS,
    types: &[],
    constants: &["true", "false", "null", "undefined", "NaN", "Infinity"],
    builtins: &[],
    ignore_case: false,
    capital_is_type: true,
    flags: AT_META | DOLLAR_WORDS,
};

const TS_SYNTAX: Syntax = Syntax {
    keywords: &[
        "async",
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "export",
        "extends",
        "finally",
        "for",
        "from",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "let",
        "new",
        "of",
        "return",
        "static",
        "super",
        "switch",
        "this",
        "throw",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "as",
        "get",
        "set",
        "interface",
        "type",
        "enum",
        "implements",
        "namespace",
        "declare",
        "readonly",
        "private",
        "protected",
        "public",
        "abstract",
        "keyof",
        "is",
        "satisfies",
    ],
    types: &[
        "string", "number", "boolean", "any", "unknown", "never", "object", "bigint", "symbol",
    ],
    ..JS_SYNTAX
};

const GO_SYNTAX: Syntax = Syntax {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: b"\"'`",
    multiline_strings: false,
    triple_quotes: false,
    raw_single: false,
    keywords: &[
        "break",
        "case",
        "chan",
        "const",
        "continue",
        "default",
        "defer",
        "else",
        "fallthrough",
        "for",
        "func",
        "go",
        "goto",
        "if",
        "import",
        "interface",
        "map",
        "package",
        "range",
        "return",
        "select",
        "struct",
        "switch",
        "type",
        "var",
    ],
    types: &[
        "bool",
        "byte",
        "complex64",
        "complex128",
        "error",
        "float32",
        "float64",
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "rune",
        "string",
        "uint",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "uintptr",
        "any",
    ],
    constants: &["true", "false", "nil", "iota"],
    builtins: &[
        "append", "cap", "close", "copy", "delete", "len", "make", "new", "panic", "print",
        "println", "recover",
    ],
    ignore_case: false,
    capital_is_type: false,
    flags: RAW_BACKTICK,
};

const JAVA_SYNTAX: Syntax = Syntax {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: b"\"'",
    multiline_strings: false,
    triple_quotes: true,
    raw_single: false,
    keywords: &[
        "abstract",
        "assert",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "default",
        "do",
        "else",
        "enum",
        "extends",
        "final",
        "finally",
        "for",
        "goto",
        "if",
        "implements",
        "import",
        "instanceof",
        "interface",
        "native",
        "new",
        "package",
        "private",
        "protected",
        "public",
        "return",
        "static",
        "strictfp",
        "super",
        "switch",
        "synchronized",
        "this",
        "throw",
        "throws",
        "transient",
        "try",
        "volatile",
        "while",
        "var",
        "record",
        "fun",
        "val",
        "when",
        "object",
        "override",
    ],
    types: &[
        "boolean", "byte", "char", "double", "float", "int", "long", "short", "void",
    ],
    constants: &["true", "false", "null"],
    builtins: &[],
    ignore_case: false,
    capital_is_type: true,
    flags: AT_META,
};

const C_KEYWORDS: &[&str] = &[
    "auto", "break", "case", "const", "continue", "default", "do", "else", "enum", "extern", "for",
    "goto", "if", "inline", "register", "restrict", "return", "sizeof", "static", "struct",
    "switch", "typedef", "union", "volatile", "while",
];

const C_TYPES: &[&str] = &[
    "char", "double", "float", "int", "long", "short", "signed", "unsigned", "void", "bool",
    "size_t", "ssize_t", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t",
    "uint32_t", "uint64_t", "FILE",
];

const C_SYNTAX: Syntax = Syntax {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: b"\"'",
    multiline_strings: false,
    triple_quotes: false,
    raw_single: false,
    keywords: C_KEYWORDS,
    types: C_TYPES,
    constants: &["true", "false", "NULL"],
    builtins: &[],
    ignore_case: false,
    capital_is_type: false,
    flags: HASH_META,
};

const CPP_SYNTAX: Syntax = Syntax {
    keywords: &[
        "auto",
        "break",
        "case",
        "const",
        "continue",
        "default",
        "do",
        "else",
        "enum",
        "extern",
        "for",
        "goto",
        "if",
        "inline",
        "register",
        "return",
        "sizeof",
        "static",
        "struct",
        "switch",
        "typedef",
        "union",
        "volatile",
        "while",
        "class",
        "namespace",
        "template",
        "typename",
        "public",
        "private",
        "protected",
        "virtual",
        "override",
        "new",
        "delete",
        "using",
        "operator",
        "this",
        "throw",
        "try",
        "catch",
        "constexpr",
        "noexcept",
        "friend",
        "explicit",
        "mutable",
        "static_cast",
        "dynamic_cast",
        "reinterpret_cast",
        "const_cast",
        "decltype",
        "concept",
        "requires",
        "co_await",
        "co_return",
        "final",
    ],
    types: &[
        "char", "double", "float", "int", "long", "short", "signed", "unsigned", "void", "bool",
        "size_t", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t",
        "uint64_t", "string", "vector", "map", "auto", "wchar_t",
    ],
    constants: &["true", "false", "nullptr", "NULL"],
    capital_is_type: true,
    ..C_SYNTAX
};

const PYTHON_SYNTAX: Syntax = Syntax {
    line_comments: &["#"],
    block_comment: None,
    quotes: b"\"'",
    multiline_strings: false,
    triple_quotes: true,
    raw_single: false,
    keywords: &[
        "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
        "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with",
        "yield", "match", "case", "self",
    ],
    types: &[
        "int", "float", "str", "bool", "bytes", "list", "dict", "set", "tuple", "object",
    ],
    constants: &["True", "False", "None"],
    builtins: &[
        "print",
        "len",
        "range",
        "open",
        "enumerate",
        "zip",
        "map",
        "filter",
        "sorted",
        "sum",
        "min",
        "max",
        "isinstance",
        "super",
    ],
    ignore_case: false,
    capital_is_type: true,
    flags: AT_META | STRING_PREFIXES,
};

const SHELL_SYNTAX: Syntax = Syntax {
    line_comments: &["#"],
    block_comment: None,
    quotes: b"\"'`",
    multiline_strings: true,
    triple_quotes: false,
    raw_single: true,
    keywords: &[
        "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
        "in", "function", "select", "return", "export", "local", "readonly", "declare", "unset",
        "set", "source", "alias", "exit", "time",
    ],
    types: &[],
    constants: &["true", "false"],
    builtins: &[],
    ignore_case: false,
    capital_is_type: false,
    flags: DOLLAR_VAR | DASH_WORDS | COMMENT_AT_WORD | COMMAND_WORDS,
};

const SQL_SYNTAX: Syntax = Syntax {
    line_comments: &["--"],
    block_comment: Some(("/*", "*/")),
    quotes: b"'\"",
    multiline_strings: true,
    triple_quotes: false,
    raw_single: true,
    keywords: &[
        "select",
        "from",
        "where",
        "and",
        "or",
        "not",
        "insert",
        "into",
        "values",
        "update",
        "set",
        "delete",
        "create",
        "table",
        "drop",
        "alter",
        "add",
        "index",
        "view",
        "join",
        "inner",
        "left",
        "right",
        "outer",
        "full",
        "cross",
        "on",
        "as",
        "group",
        "by",
        "order",
        "having",
        "limit",
        "offset",
        "distinct",
        "union",
        "all",
        "case",
        "when",
        "then",
        "else",
        "end",
        "is",
        "in",
        "like",
        "between",
        "exists",
        "primary",
        "key",
        "foreign",
        "references",
        "default",
        "unique",
        "check",
        "constraint",
        "with",
        "returning",
        "asc",
        "desc",
        "begin",
        "commit",
        "rollback",
        "transaction",
        "if",
        "replace",
        "cascade",
    ],
    types: &[
        "int",
        "integer",
        "bigint",
        "smallint",
        "serial",
        "text",
        "varchar",
        "char",
        "boolean",
        "bool",
        "date",
        "time",
        "timestamp",
        "timestamptz",
        "numeric",
        "decimal",
        "real",
        "float",
        "double",
        "blob",
        "json",
        "jsonb",
        "uuid",
    ],
    constants: &["null", "true", "false"],
    builtins: &[],
    ignore_case: true,
    capital_is_type: false,
    flags: 0,
};

const JSON_SYNTAX: Syntax = Syntax {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: b"\"",
    multiline_strings: false,
    triple_quotes: false,
    raw_single: false,
    keywords: &[],
    types: &[],
    constants: &["true", "false", "null"],
    builtins: &[],
    ignore_case: false,
    capital_is_type: false,
    flags: KEY_COLON,
};

const YAML_SYNTAX: Syntax = Syntax {
    line_comments: &["#"],
    block_comment: None,
    quotes: b"\"'",
    multiline_strings: false,
    triple_quotes: false,
    raw_single: true,
    keywords: &[],
    types: &[],
    constants: &["true", "false", "null", "yes", "no", "on", "off", "~"],
    builtins: &[],
    ignore_case: true,
    capital_is_type: false,
    flags: KEY_COLON | DASH_WORDS | COMMENT_AT_WORD,
};

const TOML_SYNTAX: Syntax = Syntax {
    line_comments: &["#", ";"],
    block_comment: None,
    quotes: b"\"'",
    multiline_strings: false,
    triple_quotes: true,
    raw_single: true,
    keywords: &[],
    types: &[],
    constants: &["true", "false", "inf", "nan"],
    builtins: &[],
    ignore_case: false,
    capital_is_type: false,
    flags: KEY_EQUALS | DASH_WORDS,
};

/// The syntax of a language this scanner reads (markup and CSS have their own scanners).
pub(crate) fn syntax(lang: Lang) -> &'static Syntax {
    match lang {
        Lang::Rust => &RUST_SYNTAX,
        Lang::JavaScript => &JS_SYNTAX,
        Lang::TypeScript => &TS_SYNTAX,
        Lang::Go => &GO_SYNTAX,
        Lang::Java => &JAVA_SYNTAX,
        Lang::C => &C_SYNTAX,
        Lang::Cpp => &CPP_SYNTAX,
        Lang::Python => &PYTHON_SYNTAX,
        Lang::Shell | Lang::Console | Lang::Html | Lang::Css => &SHELL_SYNTAX,
        Lang::Sql => &SQL_SYNTAX,
        Lang::Json => &JSON_SYNTAX,
        Lang::Yaml => &YAML_SYNTAX,
        Lang::Toml => &TOML_SYNTAX,
    }
}

fn is_word_byte(b: u8, syntax: &Syntax) -> bool {
    b.is_ascii_alphanumeric()
        || b == b'_'
        || b >= 0x80
        || (b == b'$' && syntax.flags & DOLLAR_WORDS != 0)
        || (b == b'-' && syntax.flags & DASH_WORDS != 0)
}

fn is_word_start(b: u8, syntax: &Syntax) -> bool {
    b.is_ascii_alphabetic()
        || b == b'_'
        || b >= 0x80
        || (b == b'$' && syntax.flags & DOLLAR_WORDS != 0)
}

fn in_list(list: &[&str], word: &str, ignore_case: bool) -> bool {
    list.iter().any(|w| {
        if ignore_case {
            w.eq_ignore_ascii_case(word)
        } else {
            *w == word
        }
    })
}

const OPERATORS: &[u8] = b"+-*/%=<>!&|^~?:";
const PUNCTUATION: &[u8] = b"(){}[];,.";

/// Scans one line from `state`, leaving the state for the next line.
pub(crate) fn line(syntax: &Syntax, state: &mut State, text: &str, out: &mut Out) {
    let bytes = text.as_bytes();
    let mut i = 0;
    // What goes on from the previous line.
    match *state {
        State::Comment => {
            let (_, end) = syntax.block_comment.unwrap_or(("/*", "*/"));
            match text.find(end) {
                Some(at) => {
                    i = at + end.len();
                    out.token(Kind::Comment, &text[..i]);
                    *state = State::Normal;
                }
                None => {
                    out.token(Kind::Comment, text);
                    return;
                }
            }
        }
        State::Str {
            quote,
            triple,
            raw,
            hashes,
        } => {
            let (end, closed) = string_end(bytes, 0, quote, triple, raw, hashes);
            out.token(Kind::String, &text[..end]);
            if !closed {
                return;
            }
            *state = State::Normal;
            i = end;
        }
        _ => *state = State::Normal,
    }
    let first_content = bytes.iter().position(|b| !b.is_ascii_whitespace());
    // Whether the next word is the first of a command (shell).
    let mut command_start = true;
    while i < bytes.len() {
        let b = bytes[i];
        let rest = &text[i..];
        if b.is_ascii_whitespace() {
            let end = i + bytes[i..]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            out.plain(&text[i..end]);
            i = end;
            continue;
        }
        let at_word_start = i == 0 || bytes[i - 1].is_ascii_whitespace();
        if syntax.line_comments.iter().any(|m| rest.starts_with(m))
            && (syntax.flags & COMMENT_AT_WORD == 0 || at_word_start)
        {
            out.token(Kind::Comment, rest);
            return;
        }
        if let Some((open, close)) = syntax.block_comment {
            if let Some(body) = rest.strip_prefix(open) {
                match body.find(close) {
                    Some(at) => {
                        let end = i + open.len() + at + close.len();
                        out.token(Kind::Comment, &text[i..end]);
                        i = end;
                        continue;
                    }
                    None => {
                        out.token(Kind::Comment, rest);
                        *state = State::Comment;
                        return;
                    }
                }
            }
        }
        if b == b'#' && Some(i) == first_content && syntax.flags & HASH_META != 0 {
            out.token(Kind::Meta, rest);
            return;
        }
        if b == b'#' && syntax.flags & RUST != 0 {
            // An attribute: `#[…]` or `#![…]`, to its matching `]` on this line.
            let open = if rest.starts_with("#![") {
                3
            } else if rest.starts_with("#[") {
                2
            } else {
                0
            };
            if open > 0 {
                let mut depth = 0usize;
                let mut end = rest.len();
                for (k, c) in rest.bytes().enumerate().skip(open - 1) {
                    match c {
                        b'[' => depth += 1,
                        b']' => {
                            depth -= 1;
                            if depth == 0 {
                                end = k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                out.token(Kind::Meta, &rest[..end]);
                i += end;
                continue;
            }
        }
        if b == b'[' && syntax.flags & KEY_EQUALS != 0 && Some(i) == first_content {
            // A TOML section header.
            let end = rest.rfind(']').map_or(rest.len(), |at| at + 1);
            out.token(Kind::Type, &rest[..end]);
            i += end;
            continue;
        }
        if syntax.quotes.contains(&b) {
            if b == b'\'' && syntax.flags & RUST != 0 {
                // A char literal (`'x'`, `'\n'`, `'\u{1F600}'`) or a lifetime (`'a`).
                if let Some(end) = rust_char_end(bytes, i) {
                    out.token(Kind::String, &text[i..end]);
                    i = end;
                    continue;
                }
                let end = i
                    + 1
                    + bytes[i + 1..]
                        .iter()
                        .take_while(|&&c| is_word_byte(c, syntax))
                        .count();
                out.token(Kind::Variable, &text[i..end]);
                i = end;
                continue;
            }
            i = string(syntax, state, text, i, i, 0, out, false);
            if *state != State::Normal {
                return;
            }
            command_start = false;
            continue;
        }
        if b.is_ascii_digit() || (b == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let end = number_end(bytes, i);
            if end < bytes.len() && is_word_byte(bytes[end], syntax) && bytes[end] != b'-' {
                // Part of a word (`x86_64`, `2fa`): plain.
                let word_end = end
                    + bytes[end..]
                        .iter()
                        .take_while(|&&c| is_word_byte(c, syntax))
                        .count();
                out.plain(&text[i..word_end]);
                i = word_end;
                continue;
            }
            out.token(Kind::Number, &text[i..end]);
            i = end;
            command_start = false;
            continue;
        }
        if b == b'$' && syntax.flags & DOLLAR_VAR != 0 {
            let end = variable_end(bytes, i);
            out.token(Kind::Variable, &text[i..end]);
            i = end;
            command_start = false;
            continue;
        }
        if b == b'@'
            && syntax.flags & AT_META != 0
            && bytes.get(i + 1).is_some_and(|c| is_word_start(*c, syntax))
        {
            let end = i
                + 1
                + bytes[i + 1..]
                    .iter()
                    .take_while(|&&c| is_word_byte(c, syntax) || c == b'.')
                    .count();
            out.token(Kind::Meta, &text[i..end]);
            i = end;
            continue;
        }
        if b == b'-' && syntax.flags & COMMAND_WORDS != 0 && at_word_start && !command_start {
            // A command's option: `-x`, `--flag`.
            let end = i + bytes[i..]
                .iter()
                .take_while(|&&c| c == b'-' || is_word_byte(c, syntax))
                .count();
            if end > i + 1 {
                out.token(Kind::Property, &text[i..end]);
                i = end;
                continue;
            }
        }
        if is_word_start(b, syntax) {
            let mut end = i + bytes[i..]
                .iter()
                .take_while(|&&c| is_word_byte(c, syntax))
                .count();
            // A word does not end in `-` (`a-` then `>`).
            while end > i + 1 && bytes[end - 1] == b'-' {
                end -= 1;
            }
            let word = &text[i..end];
            // String prefixes: Python's `f"…"`, `rb'…'`; Rust's `b"…"`, `r#"…"#`.
            if end - i <= 2
                && syntax.flags & STRING_PREFIXES != 0
                && word.bytes().all(|c| b"rbfuRBFU".contains(&c))
            {
                let mut at = end;
                let mut hashes = 0u8;
                if syntax.flags & RUST != 0 && word.contains(['r', 'R']) {
                    while bytes.get(at) == Some(&b'#') && hashes < 255 {
                        hashes += 1;
                        at += 1;
                    }
                }
                if let Some(&q) = bytes.get(at) {
                    if q == b'"' || (q == b'\'' && syntax.flags & RUST == 0) {
                        let raw = word.contains(['r', 'R']);
                        i = string(syntax, state, text, i, at, hashes, out, raw);
                        if *state != State::Normal {
                            return;
                        }
                        continue;
                    }
                }
            }
            let next = bytes[end..]
                .iter()
                .copied()
                .find(|c| *c != b' ' && *c != b'\t');
            let kind = classify(
                syntax,
                word,
                i,
                first_content,
                next,
                bytes.get(end).copied(),
                command_start,
            );
            if kind == Some(Kind::Function)
                && syntax.flags & RUST != 0
                && bytes.get(end) == Some(&b'!')
            {
                end += 1;
            }
            out.emit(kind, &text[i..end]);
            i = end;
            command_start = false;
            continue;
        }
        if OPERATORS.contains(&b) {
            let end = i + bytes[i..]
                .iter()
                .take_while(|c| OPERATORS.contains(c))
                .count();
            out.token(Kind::Operator, &text[i..end]);
            command_start = syntax.flags & COMMAND_WORDS != 0
                && matches!(&text[i..end], "|" | "||" | "&&" | "&" | "|&");
            i = end;
            continue;
        }
        if PUNCTUATION.contains(&b) {
            out.token(Kind::Punctuation, &text[i..i + 1]);
            if syntax.flags & COMMAND_WORDS != 0 && b == b';' {
                command_start = true;
            }
            i += 1;
            continue;
        }
        // Anything else is plain, one character at a time.
        let len = rest.chars().next().map_or(1, char::len_utf8);
        out.plain(&text[i..i + len]);
        i += len;
    }
}

/// The class of a word at `start` (`next` is the next byte after spaces, `after` the byte
/// right after the word).
fn classify(
    syntax: &Syntax,
    word: &str,
    start: usize,
    first_content: Option<usize>,
    next: Option<u8>,
    after: Option<u8>,
    command_start: bool,
) -> Option<Kind> {
    let ignore_case = syntax.ignore_case;
    if syntax.flags & KEY_COLON != 0 && after == Some(b':') && syntax.flags & DASH_WORDS != 0 {
        return Some(Kind::Property);
    }
    if syntax.flags & KEY_EQUALS != 0 && Some(start) == first_content && next == Some(b'=') {
        return Some(Kind::Property);
    }
    if in_list(syntax.keywords, word, ignore_case) {
        return Some(Kind::Keyword);
    }
    if in_list(syntax.constants, word, ignore_case) {
        return Some(Kind::Constant);
    }
    if in_list(syntax.types, word, ignore_case) {
        return Some(Kind::Type);
    }
    if syntax.flags & RUST != 0 && after == Some(b'!') {
        return Some(Kind::Function);
    }
    if next == Some(b'(') || in_list(syntax.builtins, word, ignore_case) {
        return Some(Kind::Function);
    }
    if syntax.flags & COMMAND_WORDS != 0 && command_start {
        return Some(Kind::Function);
    }
    if syntax.capital_is_type && word.as_bytes()[0].is_ascii_uppercase() {
        return Some(Kind::Type);
    }
    None
}

/// Scans a string whose prefix starts at `start` and whose quote is at `quote_at`; emits it
/// and returns where scanning goes on. A string left open sets `state`.
#[allow(clippy::too_many_arguments)]
fn string(
    syntax: &Syntax,
    state: &mut State,
    text: &str,
    start: usize,
    quote_at: usize,
    hashes: u8,
    out: &mut Out,
    raw_prefix: bool,
) -> usize {
    let bytes = text.as_bytes();
    let quote = bytes[quote_at];
    let triple = syntax.triple_quotes
        && bytes.get(quote_at + 1) == Some(&quote)
        && bytes.get(quote_at + 2) == Some(&quote);
    let raw = raw_prefix
        || (quote == b'`' && syntax.flags & RAW_BACKTICK != 0)
        || (quote == b'\'' && syntax.raw_single);
    let body = quote_at + if triple { 3 } else { 1 };
    let (end, closed) = string_end(bytes, body, quote, triple, raw, hashes);
    let token_end = end;
    if !closed {
        let goes_on = triple || quote == b'`' || syntax.multiline_strings || hashes > 0;
        if goes_on {
            *state = State::Str {
                quote,
                triple,
                raw,
                hashes,
            };
        }
    }
    // A JSON/YAML string followed by `:` is a key.
    let key = closed
        && syntax.flags & KEY_COLON != 0
        && bytes[token_end..]
            .iter()
            .find(|c| **c != b' ' && **c != b'\t')
            == Some(&b':');
    out.token(
        if key { Kind::Property } else { Kind::String },
        &text[start..token_end],
    );
    token_end
}

/// Where a string body starting at `from` ends (after its closing quote and `#`s), and
/// whether it closed on this line.
fn string_end(
    bytes: &[u8],
    from: usize,
    quote: u8,
    triple: bool,
    raw: bool,
    hashes: u8,
) -> (usize, bool) {
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' && !raw && hashes == 0 {
            i += 2;
            continue;
        }
        if b == quote {
            if triple {
                if bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote) {
                    return (i + 3, true);
                }
            } else {
                let n = usize::from(hashes);
                if bytes.len() >= i + 1 + n && bytes[i + 1..i + 1 + n].iter().all(|&c| c == b'#') {
                    return (i + 1 + n, true);
                }
            }
        }
        i += 1;
    }
    (bytes.len(), false)
}

/// The end of a Rust char literal starting at `at` (a `'`), if it is one.
fn rust_char_end(bytes: &[u8], at: usize) -> Option<usize> {
    let next = *bytes.get(at + 1)?;
    if next == b'\\' {
        let close = bytes[at + 2..].iter().position(|&c| c == b'\'')?;
        return Some(at + 2 + close + 1);
    }
    // One character, then the closing quote.
    let len = match next {
        0..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    (bytes.get(at + 1 + len) == Some(&b'\'')).then_some(at + 2 + len)
}

/// The end of a number starting at `at`: digits, letters (hex, suffixes, exponents), `_`,
/// `.` followed by a digit, and a sign right after an exponent.
fn number_end(bytes: &[u8], at: usize) -> usize {
    let mut i = at;
    let hex = bytes.get(at + 1).is_some_and(|c| matches!(c, b'x' | b'X'));
    while i < bytes.len() {
        let b = bytes[i];
        let digit_next = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        let exponent_sign = (b == b'+' || b == b'-')
            && !hex
            && i > at
            && matches!(bytes[i - 1], b'e' | b'E')
            && digit_next;
        if b.is_ascii_alphanumeric() || b == b'_' || (b == b'.' && digit_next) || exponent_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// The end of a shell variable starting at `at` (a `$`).
fn variable_end(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at + 1) {
        Some(b'{') => bytes[at..]
            .iter()
            .position(|&c| c == b'}')
            .map_or(bytes.len(), |p| at + p + 1),
        Some(b'(') => at + 2,
        Some(c) if c.is_ascii_digit() || b"?@#*!$-".contains(c) => at + 2,
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
            at + 1
                + bytes[at + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count()
        }
        _ => at + 1,
    }
}
