//! The layering rules of docs/CONVENTIONS.md, checked over the source tree: no import cycle between
//! top-level modules, and the core imports no resource. A failure names the modules and the files of
//! each offending edge, so the back edge is easy to find.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use regex::Regex;

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comments, so a module named in a doc comment is not an import.
fn without_comments(source: &str) -> String {
    let block = Regex::new(r"(?s)/\*.*?\*/").expect("regex");
    let line = Regex::new(r"(?m)//.*$").expect("regex");
    line.replace_all(&block.replace_all(source, ""), "").into_owned()
}

/// The top-level module a file belongs to (`src/quotes/routes.rs` → `quotes`), none for the crate roots.
fn top_level_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// Top-level module → the other top-level modules it names through `crate::`, with the files that do.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn module_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| top_level_module(&src, f)).collect();
    let path_use = Regex::new(r"crate::([a-z_][a-z0-9_]*)").expect("regex");
    // `use crate::{a::X, b}`: the names at the start of the group and after each top-level comma.
    let group_use = Regex::new(r"crate::\{").expect("regex");
    let mut graph = Graph::new();
    for file in &files {
        let Some(from) = top_level_module(&src, file) else {
            continue;
        };
        let source = without_comments(&fs::read_to_string(file).expect("source is readable"));
        let mut named = BTreeSet::new();
        for capture in path_use.captures_iter(&source) {
            named.insert(capture[1].to_owned());
        }
        for found in group_use.find_iter(&source) {
            let mut depth = 1;
            let mut item = String::new();
            for c in source[found.end()..].chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 || (depth == 1 && c == ',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    named.insert(name);
                    item.clear();
                    if depth == 0 {
                        break;
                    }
                } else if depth == 1 {
                    item.push(c);
                }
            }
        }
        let display = file.strip_prefix(&src).unwrap_or(file).display().to_string();
        for to in named.into_iter().filter(|m| modules.contains(m) && *m != from) {
            graph
                .entry(from.clone())
                .or_default()
                .entry(to)
                .or_default()
                .insert(display.clone());
        }
    }
    graph
}

/// Strongly connected components with more than one module (Tarjan's algorithm).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(walk: &mut Walk<'a>, node: &'a str) {
        let next = walk.index.len();
        walk.index.insert(node, next);
        walk.low.insert(node, next);
        walk.stack.push(node);
        let targets: Vec<&'a str> = walk
            .graph
            .get(node)
            .map(|edges| edges.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for target in targets {
            if !walk.index.contains_key(target) {
                visit(walk, target);
                let low = walk.low[node].min(walk.low[target]);
                walk.low.insert(node, low);
            } else if walk.stack.contains(&target) {
                let low = walk.low[node].min(walk.index[target]);
                walk.low.insert(node, low);
            }
        }
        if walk.low[node] == walk.index[node] {
            let mut component = Vec::new();
            while let Some(member) = walk.stack.pop() {
                component.push(member.to_owned());
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                walk.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            visit(&mut walk, node);
        }
    }
    walk.found
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = module_graph();
    assert!(graph.len() > 20, "the module graph was not read: {graph:?}");
    let found = cycles(&graph);
    let mut report = String::new();
    for component in &found {
        report.push_str(&format!("cycle among {component:?}:\n"));
        for from in component {
            for (to, files) in &graph[from] {
                if component.contains(to) {
                    report.push_str(&format!("  {from} -> {to} in {files:?}\n"));
                }
            }
        }
    }
    assert!(found.is_empty(), "{report}");
}

/// The modules a newcomer can learn first: they know no clinic, quote or other resource.
const CORE: &[&str] = &[
    "audit",
    "auth",
    "clock",
    "compression",
    "config",
    "crypto",
    "db",
    "disclaimer",
    "error",
    "extract",
    "filters",
    "http_cache",
    "idempotency",
    "ids",
    "json_time",
    "states",
    "metrics",
    "middleware",
    "money",
    "openapi",
    "pagination",
    "periodic",
    "rate_limit",
    "red_flag_engine",
    "request_context",
    "sparse_fields",
    "state",
    "telemetry",
    "text",
];

#[test]
fn the_core_imports_no_resource() {
    let graph = module_graph();
    for core in CORE {
        assert!(
            graph.contains_key(*core)
                || Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("src")
                    .join(format!("{core}.rs"))
                    .exists()
                || Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("src")
                    .join(core)
                    .is_dir(),
            "no core module {core}"
        );
    }
    let mut report = String::new();
    for (from, edges) in graph.iter().filter(|(from, _)| CORE.contains(&from.as_str())) {
        for (to, files) in edges.iter().filter(|(to, _)| !CORE.contains(&to.as_str())) {
            report.push_str(&format!("core {from} imports resource {to} in {files:?}\n"));
        }
    }
    assert!(report.is_empty(), "{report}");
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    // The checker itself must be able to fail: a two-module loop and a three-module loop.
    let mut graph = Graph::new();
    let edge = |graph: &mut Graph, from: &str, to: &str| {
        graph
            .entry(from.into())
            .or_default()
            .entry(to.into())
            .or_default()
            .insert(format!("{from}.rs"));
    };
    edge(&mut graph, "error", "db");
    edge(&mut graph, "db", "error");
    edge(&mut graph, "quotes", "webhooks");
    edge(&mut graph, "webhooks", "offers");
    edge(&mut graph, "offers", "quotes");
    edge(&mut graph, "clinics", "error");
    let found = cycles(&graph);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.contains(&vec!["db".to_owned(), "error".to_owned()]));
    assert!(found.contains(&vec![
        "offers".to_owned(),
        "quotes".to_owned(),
        "webhooks".to_owned()
    ]));
}

fn all_sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files
        .into_iter()
        .map(|file| {
            let display = file.strip_prefix(&src).unwrap_or(&file).display().to_string();
            (display, fs::read_to_string(&file).expect("source is readable"))
        })
        .collect()
}

/// A route file: `routes.rs`, or any file under a `routes/` directory.
fn is_route_file(path: &str) -> bool {
    path.ends_with("/routes.rs") || path.contains("/routes/")
}

#[test]
fn route_files_run_no_sql() {
    let statement =
        Regex::new(r"db::schema|sql_query|diesel::|\bSELECT\b|\bINSERT INTO\b|\bUPDATE\s+\w+\s+SET\b")
            .expect("regex");
    let offenders: Vec<String> = all_sources()
        .into_iter()
        .filter(|(path, _)| is_route_file(path))
        .filter_map(|(path, source)| {
            let code = without_comments(&source);
            statement.find(&code).map(|m| format!("{path}: `{}`", m.as_str()))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "route files must call a repo: {offenders:#?}"
    );
}

#[test]
fn no_source_file_is_over_400_lines_before_its_tests() {
    // The generated schema and the red-flag engine (a measured classifier with its vocabularies
    // in code) are the two exceptions the layering rules name.
    let oversized: Vec<String> = all_sources()
        .into_iter()
        .filter(|(path, _)| path != "db/schema.rs" && !path.starts_with("red_flag_engine/"))
        .filter_map(|(path, source)| {
            let lines = source
                .lines()
                .take_while(|line| line.trim() != "#[cfg(test)]")
                .count();
            (lines > 400).then(|| format!("{path}: {lines} lines"))
        })
        .collect();
    assert!(
        oversized.is_empty(),
        "split these by what changes together: {oversized:#?}"
    );
}

#[test]
fn no_state_literal_outside_its_enum() {
    // Every stored state word, as the tables' CHECK constraints list them.
    let states = [
        "open",
        "offered",
        "accepted",
        "cancelled",
        "expired",
        "pending",
        "declined",
        "withdrawn",
        "succeeded",
        "failed",
        "published",
        "pending_review",
        "rejected",
        "unlisted",
    ];
    let literal = Regex::new(&format!(r#"["']({})["']"#, states.join("|"))).expect("regex");
    // `Variant => "word"` inside a `text_enum!` declaration is where a state is written.
    let declaration = Regex::new(r#"^\s*[A-Z]\w* => ""#).expect("regex");
    let mut offenders = Vec::new();
    for (path, source) in all_sources() {
        if path.starts_with("red_flag_engine/") {
            continue; // clinic text vocabularies, not states
        }
        let code = source
            .split("\n#[cfg(test)]")
            .next()
            .map(without_comments)
            .unwrap_or_default();
        for line in code.lines().filter(|line| !declaration.is_match(line)) {
            if let Some(found) = literal.find(line) {
                offenders.push(format!("{path}: {} in `{}`", found.as_str(), line.trim()));
            }
        }
    }
    assert!(offenders.is_empty(), "use the state's enum: {offenders:#?}");
}
