//! The library's layering, checked from its source text (std only, no cargo-modules):
//!
//! * the top-level modules (the `mod NAME;` lines of src/lib.rs) import one way only: no
//!   import cycle between them. A module depends on another when its code (comments and string
//!   literals do not count) names `crate::OTHER`, in a `use` line, a grouped
//!   `use crate::{a::X, b::Y}` or an inline path; `crate::Name` for a root re-export of lib.rs
//!   counts as a dependency on the module it comes from. src/lib.rs itself is exempt.
//!   When the graph is acyclic, the layer order is printed (see it with `--nocapture`);
//! * every platform `cfg` (one that names `target_os`, `target_family`, `unix` or `windows`)
//!   lives in src/sys/.
//!
//! The scanner is a few small functions over the text, unit-tested at the bottom of this file.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// Stripping comments and literals
// ---------------------------------------------------------------------------------------------

/// `source` with every comment, string literal and char literal blanked out: each removed
/// character becomes as many spaces as it has bytes, and newlines stay, so byte offsets and line
/// numbers of what remains are those of `source`.
fn strip(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let end = literal_or_comment_end(&chars, i);
        if end == i {
            out.push(chars[i]);
            i += 1;
        } else {
            for &c in &chars[i..end] {
                blank(&mut out, c);
            }
            i = end;
        }
    }
    out
}

/// Pushes what stands for `c` once blanked: a newline stays, anything else becomes spaces.
fn blank(out: &mut String, c: char) {
    if c == '\n' {
        out.push('\n');
    } else {
        out.extend(std::iter::repeat_n(' ', c.len_utf8()));
    }
}

/// If a comment or a literal starts at `i`, the index just past it; otherwise `i`.
fn literal_or_comment_end(chars: &[char], i: usize) -> usize {
    let at = |k: usize| chars.get(k).copied();
    let after_ident = i > 0 && is_ident_char(chars[i - 1]);
    match (chars[i], at(i + 1)) {
        ('/', Some('/')) => line_end(chars, i),
        ('/', Some('*')) => block_comment_end(chars, i),
        ('"', _) => string_end(chars, i + 1),
        ('\'', _) => char_literal_end(chars, i),
        ('r', Some('"' | '#')) if !after_ident => raw_string_end(chars, i + 1).unwrap_or(i),
        ('b' | 'c', Some('r')) if !after_ident => raw_string_end(chars, i + 2).unwrap_or(i),
        _ => i,
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The index of the newline ending the line at `i` (the newline itself stays).
fn line_end(chars: &[char], i: usize) -> usize {
    chars[i..]
        .iter()
        .position(|&c| c == '\n')
        .map_or(chars.len(), |n| i + n)
}

/// Past the `*/` closing the block comment opened at `i`, counting nested ones.
fn block_comment_end(chars: &[char], mut i: usize) -> usize {
    let mut depth = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    chars.len()
}

/// Past the `"` closing a string whose contents start at `i`, skipping escapes.
fn string_end(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// For `r"…"` or `r#"…"#` whose hashes start at `i`: past its end. `None` when no quote follows
/// the hashes (a raw identifier like `r#type`).
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
    if chars.get(i + hashes) != Some(&'"') {
        return None;
    }
    let mut k = i + hashes + 1;
    while k < chars.len() {
        if chars[k] == '"'
            && chars[k + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes
        {
            return Some(k + 1 + hashes);
        }
        k += 1;
    }
    Some(chars.len())
}

/// At a `'`: past a char literal (`'x'`, `'"'`, `'\''`, `'\u{41}'`); a lifetime or label
/// (`'a`, `'static`) is not a literal and gives `i` back.
fn char_literal_end(chars: &[char], i: usize) -> usize {
    match (chars.get(i + 1), chars.get(i + 2)) {
        (Some('\\'), _) => {
            let close = chars[i + 2..]
                .iter()
                .skip(1)
                .position(|&c| c == '\'')
                .map_or(chars.len(), |n| i + 3 + n);
            (close + 1).min(chars.len())
        }
        (Some(_), Some('\'')) => i + 3,
        _ => i,
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

/// An identifier, a `::`, or one punctuation character, with where it stands.
#[derive(Debug, Clone, PartialEq)]
struct Token {
    text: String,
    /// 1-based.
    line: usize,
    /// Byte offset in the source.
    start: usize,
}

/// The tokens of already stripped code; whitespace separates, nothing else is dropped.
fn tokens(code: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut iter = code.char_indices().peekable();
    while let Some((start, c)) = iter.next() {
        if c == '\n' {
            line += 1;
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        let mut text = c.to_string();
        if is_ident_char(c) {
            while let Some(&(_, next)) = iter.peek().filter(|(_, n)| is_ident_char(*n)) {
                text.push(next);
                iter.next();
            }
        } else if c == ':' && iter.peek().is_some_and(|&(_, n)| n == ':') {
            text.push(':');
            iter.next();
        }
        out.push(Token { text, line, start });
    }
    out
}

fn is_ident(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

// ---------------------------------------------------------------------------------------------
// Paths after `crate::`
// ---------------------------------------------------------------------------------------------

/// One path out of a use tree: its segments (with the line of each) and its `as` name.
#[derive(Debug, Clone, PartialEq)]
struct UsePath {
    segments: Vec<(String, usize)>,
    alias: Option<String>,
}

impl UsePath {
    /// The name this path brings into scope.
    fn name(&self) -> Option<&str> {
        if let Some(alias) = &self.alias {
            return Some(alias);
        }
        let mut names = self.segments.iter().rev().map(|(s, _)| s.as_str());
        match names.next()? {
            "self" => names.next(),
            last => Some(last),
        }
    }
}

/// Reads the use tree (or plain path) starting at `tokens[i]`, below `prefix`; pushes every
/// complete path to `out` and returns the index past the tree. A `{` is a group only right
/// after `::`, so `crate::a::Struct { field }` reads as the path `a::Struct`.
fn use_tree(
    tokens: &[Token],
    mut i: usize,
    prefix: &[(String, usize)],
    out: &mut Vec<UsePath>,
) -> usize {
    let text = |k: usize| tokens.get(k).map(|t| t.text.as_str());
    match text(i) {
        Some("{") => {
            i += 1;
            while let Some(t) = text(i) {
                if t == "}" {
                    return i + 1;
                }
                let next = use_tree(tokens, i, prefix, out);
                i = if next == i { i + 1 } else { next };
            }
            i
        }
        Some("*") => {
            out.push(UsePath {
                segments: [prefix.to_vec(), vec![("*".to_owned(), tokens[i].line)]].concat(),
                alias: None,
            });
            i + 1
        }
        Some(t) if is_ident(t) => {
            let mut segments = prefix.to_vec();
            segments.push((t.to_owned(), tokens[i].line));
            i += 1;
            if text(i) == Some("::")
                && text(i + 1).is_some_and(|n| n == "{" || n == "*" || is_ident(n))
            {
                return use_tree(tokens, i + 1, &segments, out);
            }
            let mut alias = None;
            if text(i) == Some("as") && text(i + 1).is_some_and(is_ident) {
                alias = text(i + 1).map(str::to_owned);
                i += 2;
            }
            out.push(UsePath { segments, alias });
            i
        }
        _ => i,
    }
}

/// Every path named through `crate::` (or `$crate::`) in stripped code, grouped uses expanded.
fn crate_paths(code: &str) -> Vec<UsePath> {
    let tokens = tokens(code);
    let mut out = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if token.text == "crate" && tokens.get(i + 1).is_some_and(|t| t.text == "::") {
            use_tree(&tokens, i + 2, &[], &mut out);
        }
    }
    out
}

/// The first segment of every `crate::` path in stripped code, with its line.
fn crate_refs(code: &str) -> Vec<(String, usize)> {
    crate_paths(code)
        .into_iter()
        .filter_map(|p| p.segments.into_iter().next())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// src/lib.rs: the modules and the root re-exports
// ---------------------------------------------------------------------------------------------

/// The names of the `mod NAME;` declarations (file modules, not inline ones) in lib.rs.
fn top_modules(lib_rs: &str) -> BTreeSet<String> {
    let tokens = tokens(&strip(lib_rs));
    tokens
        .windows(3)
        .filter(|w| w[0].text == "mod" && is_ident(&w[1].text) && w[2].text == ";")
        .map(|w| w[1].text.clone())
        .collect()
}

/// For every name lib.rs re-exports with `pub use crate::module::…` (or `pub use module::…`,
/// `pub use self::module::…`), the module it comes from.
fn root_reexports(lib_rs: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let tokens = tokens(&strip(lib_rs));
    let mut paths = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let is_pub = i > 0 && tokens[i - 1].text == "pub";
        if token.text == "use" && is_pub {
            use_tree(&tokens, i + 1, &[], &mut paths);
        }
    }
    let mut out = BTreeMap::new();
    for path in &paths {
        let mut segments = path.segments.iter().map(|(s, _)| s.as_str()).peekable();
        if segments
            .peek()
            .is_some_and(|s| *s == "crate" || *s == "self")
        {
            segments.next();
        }
        let (Some(module), Some(name)) = (segments.next(), path.name()) else {
            continue;
        };
        if modules.contains(module) && name != "*" {
            out.insert(name.to_owned(), module.to_owned());
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The dependency graph and its cycles
// ---------------------------------------------------------------------------------------------

/// Where an edge comes from.
#[derive(Debug, Clone, PartialEq)]
struct Site {
    file: String,
    line: usize,
}

/// module -> module it imports -> the first place it does.
type Graph = BTreeMap<String, BTreeMap<String, Site>>;

/// The top-level module a file under src/ belongs to (`sys` for `sys/linux.rs`); `None` for
/// lib.rs and for files of no module (src/bin/).
fn module_of(relative: &Path, modules: &BTreeSet<String>) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    let is_dir = relative.components().count() > 1;
    (modules.contains(name) && (is_dir || first.ends_with(".rs"))).then(|| name.to_owned())
}

/// One file of the library.
struct SourceFile {
    /// The top-level module it belongs to; `None` for src/lib.rs.
    module: Option<String>,
    /// As printed: `src/sys/linux.rs`.
    path: String,
    text: String,
}

/// The dependency graph of the modules' `files` (lib.rs does not count). Every module is a
/// node, also one that imports nothing; self-imports are no edges; the first site wins.
fn graph(
    files: &[SourceFile],
    modules: &BTreeSet<String>,
    reexports: &BTreeMap<String, String>,
) -> Graph {
    let mut graph: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeMap::new()))
        .collect();
    for file in files {
        let Some(module) = &file.module else {
            continue;
        };
        for (name, line) in crate_refs(&strip(&file.text)) {
            let target = if modules.contains(&name) {
                Some(&name)
            } else {
                reexports.get(&name)
            };
            let Some(target) = target.filter(|t| *t != module) else {
                continue;
            };
            graph
                .entry(module.clone())
                .or_default()
                .entry(target.clone())
                .or_insert_with(|| Site {
                    file: file.path.clone(),
                    line,
                });
        }
    }
    graph
}

/// The strongly connected components with more than one module (Tarjan), each sorted.
fn tangles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flat_map(|deps| deps.keys()) {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.out.sort();
    state.out
}

/// The shortest path from `from` to `to` inside `within` (breadth first, names in order).
fn shortest_path(
    graph: &Graph,
    within: &BTreeSet<&str>,
    from: &str,
    to: &str,
) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(v) = queue.pop_front() {
        if v == to {
            let mut path = vec![to.to_owned()];
            let mut at = to;
            while at != from {
                at = came_from[at];
                path.push(at.to_owned());
            }
            path.reverse();
            return Some(path);
        }
        for w in graph.get(v).into_iter().flat_map(|deps| deps.keys()) {
            let w = w.as_str();
            if within.contains(w) && w != from && !came_from.contains_key(w) {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    None
}

/// Cycles through one tangle such that every import between its modules lies on one of them:
/// for each edge not yet on a cycle, the edge and the shortest way back. Each cycle starts and
/// ends at the same module; the shortest cycles come first.
fn covering_cycles(graph: &Graph, tangle: &[String]) -> Vec<Vec<String>> {
    let within: BTreeSet<&str> = tangle.iter().map(String::as_str).collect();
    let mut covered: BTreeSet<(String, String)> = BTreeSet::new();
    let mut cycles = Vec::new();
    for from in tangle {
        for to in graph[from].keys().filter(|to| within.contains(to.as_str())) {
            if covered.contains(&(from.clone(), to.clone())) {
                continue;
            }
            let Some(back) = shortest_path(graph, &within, to, from) else {
                continue;
            };
            let cycle: Vec<String> = std::iter::once(from.clone()).chain(back).collect();
            for edge in cycle.windows(2) {
                covered.insert((edge[0].clone(), edge[1].clone()));
            }
            cycles.push(cycle);
        }
    }
    cycles.sort_by_key(Vec::len);
    cycles
}

/// The failure message for the tangles of `graph`; `None` when it has none.
fn cycle_report(graph: &Graph) -> Option<String> {
    let tangles = tangles(graph);
    if tangles.is_empty() {
        return None;
    }
    let mut msg = String::new();
    for tangle in &tangles {
        let cycles = covering_cycles(graph, tangle);
        let _ = writeln!(
            msg,
            "import cycle between {} top-level modules: {}\nevery import between them lies on one of these {} cycles:",
            tangle.len(),
            tangle.join(", "),
            cycles.len()
        );
        for cycle in &cycles {
            let _ = writeln!(msg, "\n  {}", cycle.join(" -> "));
            for edge in cycle.windows(2) {
                let site = &graph[&edge[0]][&edge[1]];
                let _ = writeln!(
                    msg,
                    "    {} -> {}  at {}:{}",
                    edge[0], edge[1], site.file, site.line
                );
            }
        }
        msg.push('\n');
    }
    Some(msg)
}

/// The layers of an acyclic graph, bottom first: layer 0 imports nothing, layer n imports from
/// layers below n and at least one module of layer n - 1. `None` on a cycle.
fn layers(graph: &Graph) -> Option<Vec<Vec<String>>> {
    let mut level: BTreeMap<&str, usize> = BTreeMap::new();
    while level.len() < graph.len() {
        let ready: Vec<(&str, usize)> = graph
            .iter()
            .filter(|(m, _)| !level.contains_key(m.as_str()))
            .filter_map(|(m, deps)| {
                let below: Option<Vec<usize>> = deps
                    .keys()
                    .map(|d| level.get(d.as_str()).copied())
                    .collect();
                Some((m.as_str(), below?.into_iter().max().map_or(0, |l| l + 1)))
            })
            .collect();
        if ready.is_empty() {
            return None;
        }
        level.extend(ready);
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    for (module, l) in level {
        if out.len() <= l {
            out.resize(l + 1, Vec::new());
        }
        out[l].push(module.to_owned());
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// Platform cfgs
// ---------------------------------------------------------------------------------------------

/// The cfg keys and names that make a platform decision.
const PLATFORM_CFG: [&str; 4] = ["target_os", "target_family", "unix", "windows"];

/// Every `cfg(…)`, `cfg!(…)` and `cfg_attr(…)` in `source` whose predicate names a platform:
/// its line and its text as written (whitespace collapsed). Comments and strings do not count.
fn platform_cfgs(source: &str) -> Vec<(usize, String)> {
    let tokens = tokens(&strip(source));
    let mut out = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if token.text != "cfg" && token.text != "cfg_attr" {
            continue;
        }
        let open = i + 1 + usize::from(tokens.get(i + 1).is_some_and(|t| t.text == "!"));
        if tokens.get(open).is_none_or(|t| t.text != "(") {
            continue;
        }
        let Some(close) = matching_paren(&tokens, open) else {
            continue;
        };
        if tokens[open..close]
            .iter()
            .any(|t| PLATFORM_CFG.contains(&t.text.as_str()))
        {
            let text = &source[token.start..=tokens[close].start];
            out.push((
                token.line,
                text.split_whitespace().collect::<Vec<_>>().join(" "),
            ));
        }
    }
    out
}

/// The index of the `)` closing the `(` at `open`.
fn matching_paren(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        match t.text.as_str() {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// The library on disk
// ---------------------------------------------------------------------------------------------

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every .rs file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The library: its modules, root re-exports and files (src/lib.rs and every file of a module;
/// src/bin/ is not the library).
struct Library {
    modules: BTreeSet<String>,
    reexports: BTreeMap<String, String>,
    files: Vec<SourceFile>,
}

fn library() -> Library {
    let src = src_dir();
    let lib_rs = read(&src.join("lib.rs"));
    let modules = top_modules(&lib_rs);
    assert!(!modules.is_empty(), "no `mod NAME;` line in src/lib.rs");
    let reexports = root_reexports(&lib_rs, &modules);
    let mut files = vec![SourceFile {
        module: None,
        path: "src/lib.rs".to_owned(),
        text: lib_rs,
    }];
    for path in rust_files(&src) {
        let relative = path.strip_prefix(&src).expect("under src/");
        if let Some(module) = module_of(relative, &modules) {
            files.push(SourceFile {
                module: Some(module),
                path: Path::new("src").join(relative).display().to_string(),
                text: read(&path),
            });
        }
    }
    Library {
        modules,
        reexports,
        files,
    }
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

#[test]
fn top_level_modules_import_one_way() {
    let lib = library();
    let graph = graph(&lib.files, &lib.modules, &lib.reexports);
    if let Some(report) = cycle_report(&graph) {
        panic!("{report}");
    }
    let layers = layers(&graph).expect("an acyclic graph has layers");
    println!("layers of the library, bottom first (each imports only from layers below it):");
    for (n, layer) in layers.iter().enumerate() {
        println!("  {n}: {}", layer.join(", "));
    }
    let order: Vec<&str> = layers.iter().flatten().map(String::as_str).collect();
    println!("a topological order: {}", order.join(" < "));
}

#[test]
fn platform_cfgs_live_only_in_sys() {
    let offending: Vec<String> = library()
        .files
        .iter()
        .filter(|file| file.module.as_deref() != Some("sys"))
        .flat_map(|file| {
            platform_cfgs(&file.text)
                .into_iter()
                .map(move |(line, text)| format!("  {}:{line}: {text}", file.path))
        })
        .collect();
    assert!(
        offending.is_empty(),
        "platform cfgs outside src/sys/ (every cfg on target_os, target_family, unix or \
         windows belongs in the platform seam):\n{}",
        offending.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The scanner itself
// ---------------------------------------------------------------------------------------------

fn refs(code: &str) -> Vec<(String, usize)> {
    crate_refs(&strip(code))
}

fn names(code: &str) -> Vec<String> {
    refs(code).into_iter().map(|(name, _)| name).collect()
}

#[test]
fn scanner_reads_plain_grouped_nested_and_inline_paths() {
    assert_eq!(names("use crate::error::Error;"), ["error"]);
    assert_eq!(
        names("use crate::{\n    a::X,\n    b::{c::Y, Z as W},\n    d,\n};"),
        ["a", "b", "b", "d"]
    );
    assert_eq!(
        refs("fn f() {\n    let r: crate::policy::PolicyRule = x;\n}"),
        [("policy".to_owned(), 2)]
    );
    assert_eq!(
        names("let o = crate::config::Overlap { a, b };"),
        ["config"]
    );
    assert_eq!(names("crate::parse::did_you_mean::<T>(x)"), ["parse"]);
    assert_eq!(names("use $crate::target::BindTarget;"), ["target"]);
    assert_eq!(names("pub(crate) fn f() {}"), Vec::<String>::new());
}

#[test]
fn scanner_ignores_comments_and_doc_comments() {
    let code = "// use crate::a::X;\n/// See [`B`](crate::b::B).\n//! crate::c\n/* crate::d /* nested crate::e */ crate::f */\nuse crate::g::G; // crate::h\n";
    assert_eq!(refs(code), [("g".to_owned(), 5)]);
}

#[test]
fn scanner_ignores_string_and_char_literals() {
    let code = r####"let a = "crate::a::X";
let b = r#"crate::b "quoted" crate::c"#;
let c = b"crate::d\" crate::e";
let d = '"'; let e = crate::f::F;
let g = '\''; fn h<'a>(x: &'a str) -> crate::h::H { "\\" ; crate::i::I }
"####;
    assert_eq!(names(code), ["f", "h", "i"]);
}

#[test]
fn stripping_keeps_offsets_and_lines() {
    let code = "let s = \"é\nü\"; // ö\ncrate::x";
    let stripped = strip(code);
    assert_eq!(stripped.len(), code.len());
    assert_eq!(stripped.lines().count(), code.lines().count());
    assert_eq!(refs(code), [("x".to_owned(), 3)]);
}

#[test]
fn lib_rs_modules_and_reexports() {
    let lib_rs = "//! mod fake;\n#[cfg(feature = \"serde\")]\nmod serde;\npub mod a;\nmod b;\nmod inline { }\n\
                  pub use crate::a::{X, Y as Z};\npub use b::W;\nuse crate::a::Hidden;\n";
    let modules = top_modules(lib_rs);
    let expected = ["a", "b", "serde"].map(str::to_owned);
    assert_eq!(modules, BTreeSet::from(expected));
    let reexports = root_reexports(lib_rs, &modules);
    let pairs: Vec<(&str, &str)> = reexports
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(pairs, [("W", "b"), ("X", "a"), ("Z", "a")]);
}

#[test]
fn files_belong_to_their_top_level_module() {
    let modules = BTreeSet::from(["sys".to_owned(), "error".to_owned()]);
    let of = |p: &str| module_of(Path::new(p), &modules);
    assert_eq!(of("sys/linux.rs").as_deref(), Some("sys"));
    assert_eq!(of("sys/mod.rs").as_deref(), Some("sys"));
    assert_eq!(of("error.rs").as_deref(), Some("error"));
    assert_eq!(of("lib.rs"), None);
    assert_eq!(of("bin/bindpolicy.rs"), None);
}

fn graph_of(files: &[(&str, &str)], reexports: &[(&str, &str)]) -> Graph {
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| (*m).to_owned()).collect();
    let files: Vec<SourceFile> = files
        .iter()
        .map(|(m, text)| SourceFile {
            module: Some((*m).to_owned()),
            path: format!("src/{m}.rs"),
            text: (*text).to_owned(),
        })
        .collect();
    let reexports = reexports
        .iter()
        .map(|(n, m)| ((*n).to_owned(), (*m).to_owned()))
        .collect();
    graph(&files, &modules, &reexports)
}

#[test]
fn a_two_module_cycle_is_found_with_its_sites() {
    let graph = graph_of(
        &[
            ("error", "use crate::target::BindTarget;\n"),
            ("target", "\n\nfn f() -> crate::Error { todo!() }\n"),
        ],
        &[("Error", "error")],
    );
    let report = cycle_report(&graph).expect("a cycle");
    assert!(report.contains("error -> target -> error"), "{report}");
    assert!(
        report.contains("error -> target  at src/error.rs:1"),
        "{report}"
    );
    assert!(
        report.contains("target -> error  at src/target.rs:3"),
        "{report}"
    );
    assert_eq!(layers(&graph), None);
}

#[test]
fn every_edge_of_a_tangle_is_on_a_reported_cycle() {
    let graph = graph_of(
        &[
            ("a", "use crate::b::X; use crate::c::Y;"),
            ("b", "use crate::c::Z;"),
            ("c", "use crate::a::W;"),
            ("d", "use crate::a::V;"),
        ],
        &[],
    );
    assert_eq!(tangles(&graph), [["a", "b", "c"]]);
    let cycles = covering_cycles(&graph, &tangles(&graph)[0]);
    assert_eq!(cycles, [vec!["a", "c", "a"], vec!["a", "b", "c", "a"]]);
}

#[test]
fn an_acyclic_graph_is_accepted_and_layered() {
    let graph = graph_of(
        &[
            ("sys", "use std::io;"),
            ("target", "use crate::sys;"),
            ("error", "use crate::target::X; use crate::{sys::Y};"),
            ("policy", "use crate::Error; use crate::policy::Self_;"),
        ],
        &[("Error", "error")],
    );
    assert_eq!(cycle_report(&graph), None);
    assert_eq!(
        layers(&graph),
        Some(vec![
            vec!["sys".to_owned()],
            vec!["target".to_owned()],
            vec!["error".to_owned()],
            vec!["policy".to_owned()],
        ])
    );
}

#[test]
fn platform_cfgs_are_found_in_code_only() {
    let code = "#[cfg(target_os = \"linux\")]\nfn a() {}\n#[cfg(windows)] fn b() {}\n#[cfg(unix)] fn c() {}\n\
                #[cfg(not(target_os = \"linux\"))] fn d() {}\n#[cfg(any(\n    target_os = \"linux\",\n))] fn e() {}\n\
                let f = cfg!(target_family = \"unix\");\n#[cfg_attr(unix, derive(Debug))] struct G;\n\
                // #[cfg(target_os = \"linux\")]\n#[cfg(feature = \"unix\")] #[cfg(test)] fn h() {}\n";
    let found: Vec<usize> = platform_cfgs(code)
        .into_iter()
        .map(|(line, _)| line)
        .collect();
    assert_eq!(found, [1, 3, 4, 5, 6, 9, 10]);
    assert_eq!(
        platform_cfgs(code)[4].1,
        "cfg(any( target_os = \"linux\", ))"
    );
}
