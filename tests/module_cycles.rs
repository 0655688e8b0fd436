//! No import cycles between modules, in every crate of the workspace.
//!
//! A module is a file (`chat/format.rs` is `chat::format`, `chat/mod.rs` is `chat`). Module A
//! depends on module B when A's code (not its comments, strings or `#[cfg(test)] mod tests`)
//! names a path through B: `use crate::chat::format::ChatFormat`,
//! `super::extras::ReplyExtras`, or a `{…}` group of such paths. Paths into an ancestor
//! (`super::ChatState`, a parent's shared items) or into a descendant (a `mod.rs` using its
//! own children) are how a module and its parts belong together, and are not counted; every
//! other dependency is, and this test fails on a cycle among them, naming the file and line
//! of each step. The fix for a cycle is a leaf module that both sides import (as
//! `percent.rs` and `chat/role.rs` are).
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The library crates whose modules are checked (their `src/`; binaries are crates of their
/// own and only use the library by name).
const CRATES: &[&str] = &[
    "src",
    "sse/src",
    "markdown/src",
    "server/src",
    "tests/e2e/src",
    "tools/precompress/src",
    "bench/load/src",
];

type Module = Vec<String>;

/// One dependency: from a module to another, where it is written.
#[derive(Debug, Clone)]
struct Edge {
    to: Module,
    file: PathBuf,
    line: usize,
}

#[test]
fn no_module_imports_itself_through_others() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    for dir in CRATES {
        let dir = root.join(dir);
        assert!(dir.is_dir(), "{} is gone: update CRATES", dir.display());
        let graph = crate_graph(&dir);
        problems.extend(cycles(&graph).into_iter().map(|cycle| {
            let steps: Vec<String> = cycle
                .iter()
                .map(|(from, e)| {
                    format!(
                        "  {} -> {} ({}:{})",
                        name(from),
                        name(&e.to),
                        e.file.strip_prefix(root).unwrap_or(&e.file).display(),
                        e.line
                    )
                })
                .collect();
            format!("a cycle:\n{}", steps.join("\n"))
        }));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_sees_use_groups_super_and_inline_paths() {
    let here: Module = vec!["chat".into(), "conversation".into()];
    let code = "use super::{extras::ReplyExtras, format::{self, X}};\n\
                // crate::config::no\n\
                let s = \"crate::config::no\";\n\
                fn f() -> crate::json::Json { super::super::app::g() }\n\
                #[cfg(test)]\nmod tests { use crate::store::Y; }";
    let found: Vec<(String, usize)> = paths(code, &here)
        .into_iter()
        .map(|(p, line)| (p.join("::"), line))
        .collect();
    assert_eq!(
        found,
        [
            ("chat::extras::ReplyExtras".to_string(), 1),
            ("chat::format".to_string(), 1),
            ("chat::format::X".to_string(), 1),
            ("json::Json".to_string(), 4),
            ("app::g".to_string(), 4),
        ]
    );
    // A cycle is found, with each step.
    let m = |s: &str| -> Module { s.split("::").map(str::to_string).collect() };
    let edge = |to: &str| Edge {
        to: m(to),
        file: PathBuf::from("f.rs"),
        line: 1,
    };
    let mut graph: BTreeMap<Module, Vec<Edge>> = BTreeMap::new();
    graph.insert(m("a"), vec![edge("b")]);
    graph.insert(m("b"), vec![edge("c")]);
    graph.insert(m("c"), vec![edge("a")]);
    graph.insert(m("d"), vec![edge("a")]);
    let found = cycles(&graph);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].len(), 3);
    graph.insert(m("c"), Vec::new());
    assert!(cycles(&graph).is_empty());
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

/// The modules of one crate and their counted dependencies.
fn crate_graph(src: &Path) -> BTreeMap<Module, Vec<Edge>> {
    let mut files = Vec::new();
    collect(src, &mut files);
    let mut modules: BTreeMap<Module, PathBuf> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap_or(&file);
        let mut parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if parts.first().is_some_and(|p| p == "bin") || rel == Path::new("main.rs") {
            continue;
        }
        let last = parts.pop().unwrap_or_default();
        let stem = last.trim_end_matches(".rs").to_string();
        if !(parts.is_empty() && stem == "lib") && stem != "mod" {
            parts.push(stem);
        }
        modules.insert(parts, file);
    }
    let known: BTreeSet<Module> = modules.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (module, file) in &modules {
        let code = std::fs::read_to_string(file).unwrap_or_default();
        let mut edges: Vec<Edge> = Vec::new();
        for (path, line) in paths(&code, module) {
            // The longest prefix of the path that is a module.
            let to = (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| known.contains(p))
                .unwrap_or_default();
            let related = to.starts_with(module) || module.starts_with(&to);
            if !related && !edges.iter().any(|e| e.to == to) {
                edges.push(Edge {
                    to,
                    file: file.clone(),
                    line,
                });
            }
        }
        graph.insert(module.clone(), edges);
    }
    graph
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::…` and `super::…` path in `code` (comments, strings, char literals and a
/// `#[cfg(test)] mod` left out), absolute from the crate root, with its line.
fn paths(code: &str, here: &Module) -> Vec<(Module, usize)> {
    let code = strip(code);
    let cut = code
        .find("#[cfg(test)]\nmod ")
        .or_else(|| code.find("#[cfg(test)]\npub mod "))
        .unwrap_or(code.len());
    let code = &code[..cut];
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &code[i..];
        let boundary = i == 0 || {
            let b = bytes[i - 1];
            !(b.is_ascii_alphanumeric() || b == b'_' || b == b':' || b == b'$')
        };
        let start = if rest.starts_with("crate::") {
            Some((Vec::new(), "crate::".len()))
        } else if rest.starts_with("super::") {
            Some((
                here[..here.len().saturating_sub(1)].to_vec(),
                "super::".len(),
            ))
        } else {
            None
        };
        match start {
            Some((mut base, skip)) if boundary => {
                let mut j = i + skip;
                // `super::super::…`
                while code[j..].starts_with("super::") {
                    base.pop();
                    j += "super::".len();
                }
                let line = code[..i].matches('\n').count() + 1;
                let mut found = Vec::new();
                j = tree(code, j, base, &mut found);
                out.extend(found.into_iter().map(|p| (p, line)));
                i = j.max(i + 1);
            }
            _ => i += 1,
        }
    }
    out
}

/// Reads a path or `{…}` group at `at` after `prefix::`; pushes each full path; returns where
/// it ended.
fn tree(code: &str, mut at: usize, prefix: Module, out: &mut Vec<Module>) -> usize {
    let skip_ws = |at: &mut usize| {
        while code[*at..].starts_with(|c: char| c.is_whitespace()) {
            *at += 1;
        }
    };
    skip_ws(&mut at);
    if code[at..].starts_with('{') {
        at += 1;
        loop {
            skip_ws(&mut at);
            if at >= code.len() || code[at..].starts_with('}') {
                return at + 1;
            }
            at = tree(code, at, prefix.clone(), out);
            skip_ws(&mut at);
            if code[at..].starts_with(',') {
                at += 1;
            }
        }
    }
    let mut path = prefix;
    loop {
        let ident: String = code[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            // `*` or the end of the path.
            if code[at..].starts_with('*') {
                at += 1;
            }
            out.push(path);
            return at;
        }
        at += ident.len();
        if ident != "self" {
            path.push(ident);
        }
        if code[at..].starts_with("::") {
            at += 2;
            if code[at..].starts_with('{') || code[at..].starts_with('<') {
                if code[at..].starts_with('{') {
                    return tree(code, at, path, out);
                }
                out.push(path);
                return at;
            }
        } else {
            out.push(path);
            return at;
        }
    }
}

/// `code` with comments, string and char literals blanked (newlines kept, so lines count).
fn strip(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'))
        {
            // A raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() {
                if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                out.push(blank(chars[j]));
                j += 1;
            }
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    out.push(blank(c));
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A char literal ('x', '\n', '\u{..}'); a lifetime ('a) has no closing quote.
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The cycles of `graph`: one per strongly connected component of more than one module, as the
/// steps of one cycle through it.
fn cycles(graph: &BTreeMap<Module, Vec<Edge>>) -> Vec<Vec<(Module, Edge)>> {
    let mut found = Vec::new();
    let mut done: BTreeSet<Module> = BTreeSet::new();
    for start in graph.keys() {
        if done.contains(start) {
            continue;
        }
        // A shortest way back to `start` (breadth first), if there is one.
        let mut came: BTreeMap<Module, (Module, Edge)> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start.clone()]);
        let mut back = None;
        while let Some(m) = queue.pop_front() {
            for e in graph.get(&m).into_iter().flatten() {
                if &e.to == start {
                    back = Some((m.clone(), e.clone()));
                    break;
                }
                if !came.contains_key(&e.to) && graph.contains_key(&e.to) {
                    came.insert(e.to.clone(), (m.clone(), e.clone()));
                    queue.push_back(e.to.clone());
                }
            }
            if back.is_some() {
                break;
            }
        }
        let Some(last) = back else {
            continue;
        };
        let mut steps = vec![last.clone()];
        let mut at = last.0;
        while &at != start {
            let Some(step) = came.get(&at) else { break };
            steps.push(step.clone());
            at = step.0.clone();
        }
        steps.reverse();
        for (m, _) in &steps {
            done.insert(m.clone());
        }
        found.push(steps);
    }
    found
}
