//! The layering README's code map promises, checked on the source: no two modules of
//! `src/` import each other (directly or round a circle), and the faces in `src/routes`
//! hold no database connection. Imports are read from `use` items and paths written
//! in code (`crate::…`, `super::…`, `self::…`), comments and test modules left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// Every `.rs` file under `dir`, with the module path it defines.
fn modules(dir: &Path, prefix: &[String], found: &mut BTreeMap<Module, PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            let mut inner = prefix.to_vec();
            inner.push(name);
            modules(&path, &inner, found);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            let mut module = prefix.to_vec();
            if !matches!(stem, "mod" | "lib" | "main") {
                module.push(stem.to_owned());
            }
            found.insert(module, path);
        }
    }
}

/// The code of a file without comments and without its test module.
fn code_of(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths a file names: `crate::a::b`, `super::a`, `self::a`, and each item of a
/// `use …::{a, b::c}` group, as segments after their head.
fn named_paths(code: &str) -> Vec<(String, Vec<String>)> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut paths = Vec::new();
    for head in ["crate::", "super::", "self::"] {
        for (at, _) in code.match_indices(head) {
            if code[..at].ends_with(|c: char| is_ident(c) || c == ':') {
                continue;
            }
            let rest = &code[at + head.len()..];
            let end = rest
                .find(|c: char| !(is_ident(c) || c == ':'))
                .unwrap_or(rest.len());
            let mut segments: Vec<String> = rest[..end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let head = head.trim_end_matches(':').to_owned();
            if rest[end..].starts_with('{')
                && let Some(close) = rest[end..].find('}')
            {
                for item in rest[end + 1..end + close].split(',') {
                    let item = item.split(" as ").next().unwrap_or_default().trim();
                    if item.is_empty() || item == "self" {
                        continue;
                    }
                    let mut path = segments.clone();
                    path.extend(item.split("::").map(str::to_owned));
                    paths.push((head.clone(), path));
                }
            }
            segments.retain(|s| s != "super");
            paths.push((head, segments));
        }
    }
    paths
}

/// The modules each module imports.
fn imports(found: &BTreeMap<Module, PathBuf>) -> BTreeMap<Module, BTreeSet<Module>> {
    let resolve = |path: &[String]| {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|prefix| found.contains_key(prefix))
    };
    let mut edges = BTreeMap::new();
    for (module, file) in found {
        let parent: Module = module[..module.len().saturating_sub(1)].to_vec();
        let mut deps = BTreeSet::new();
        for (head, segments) in named_paths(&code_of(file)) {
            let mut path = match head.as_str() {
                "crate" => Vec::new(),
                "self" => module.clone(),
                _ => parent.clone(),
            };
            path.extend(segments);
            let target = resolve(&path).or_else(|| (head == "super").then(|| parent.clone()));
            if let Some(target) = target.filter(|target| target != module) {
                deps.insert(target);
            }
        }
        edges.insert(module.clone(), deps);
    }
    edges
}

/// The modules on a circle of imports, if any.
fn circle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    fn visit(
        at: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        trail: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
    ) -> Option<Vec<Module>> {
        if let Some(start) = trail.iter().position(|m| m == at) {
            return Some(trail[start..].to_vec());
        }
        if !done.insert(at.clone()) {
            return None;
        }
        trail.push(at.clone());
        for next in edges.get(at).into_iter().flatten() {
            if let Some(found) = visit(next, edges, trail, done) {
                return Some(found);
            }
        }
        trail.pop();
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|start| visit(start, edges, &mut Vec::new(), &mut done))
}

fn source() -> BTreeMap<Module, PathBuf> {
    let mut found = BTreeMap::new();
    modules(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut found,
    );
    found
}

#[test]
fn no_two_modules_import_each_other() {
    let found = source();
    assert!(found.len() > 100, "the source was not found");
    let edges = imports(&found);
    let routes_use_services = edges
        .get(&vec!["routes".to_owned(), "users".to_owned()])
        .is_some_and(|deps| {
            deps.iter()
                .any(|dep| dep.first().is_some_and(|m| m == "services"))
        });
    assert!(routes_use_services, "imports were not read");
    let found_circle: Option<Vec<String>> =
        circle(&edges).map(|modules| modules.iter().map(|module| module.join("::")).collect());
    assert_eq!(
        found_circle, None,
        "modules that import each other, round a circle"
    );
}

#[test]
fn the_faces_hold_no_database_connection() {
    let holding: Vec<String> = source()
        .into_iter()
        .filter(|(module, _)| module.first().is_some_and(|m| m == "routes"))
        .filter(|(_, file)| code_of(file).contains("DbConn"))
        .map(|(module, _)| module.join("::"))
        .collect();
    assert!(
        holding.is_empty(),
        "routes that take a connection: {holding:?}"
    );
}
