//! The variables, `Leptos.toml` and the README's configuration table name the same settings.

use std::collections::BTreeSet;

use super::*;
use crate::server::config::{layers::SECTIONS, Settings};

fn read(file: &str) -> String {
    let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The text of each `[section]` of `Leptos.toml`, comments included.
fn leptos_toml_sections() -> Vec<(String, String)> {
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in read("Leptos.toml").lines() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.push((name.to_owned(), String::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    sections
}

/// The names in the first column of the table under `## Configuration`.
fn readme_variables() -> BTreeSet<String> {
    let readme = read("README.md");
    let start = readme
        .find("\n## Configuration")
        .expect("README has ## Configuration");
    let table = readme[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'));
    let mut names = BTreeSet::new();
    for row in table {
        let first = row.split('|').nth(1).unwrap_or_default();
        names.extend(first.split('`').skip(1).step_by(2).map(str::to_owned));
    }
    names
}

#[test]
fn every_variable_overrides_a_key_of_leptos_toml_that_names_it() {
    let sections = leptos_toml_sections();
    for (variable, path) in OVERRIDES {
        let (section, key) = path.split_once('.').expect("section.key");
        assert!(SECTIONS.contains(&section), "{path}: no section {section}");
        let (_, body) = sections
            .iter()
            .find(|(name, _)| name == section)
            .unwrap_or_else(|| panic!("Leptos.toml has no [{section}] for {variable}"));
        let has_key = body.lines().any(|line| {
            let line = line.trim_start_matches(['#', ' ']);
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        });
        assert!(
            has_key,
            "Leptos.toml [{section}] has no `{key} =` for {variable}"
        );
        assert!(
            body.contains(variable),
            "Leptos.toml [{section}] does not name {variable} beside {key}"
        );
    }
}

#[test]
fn every_key_of_leptos_toml_has_its_variable() {
    let shipped: toml::Table = toml::from_str(&read("Leptos.toml")).unwrap();
    for (section, keys) in &shipped {
        for key in keys.as_table().expect("a section").keys() {
            let path = format!("{section}.{key}");
            assert!(
                OVERRIDES.iter().any(|(_, p)| *p == path),
                "Leptos.toml has {path}, which no variable overrides"
            );
        }
    }
}

#[test]
fn the_readme_lists_every_variable_and_no_other() {
    let listed = readme_variables();
    let known: BTreeSet<String> = OVERRIDES
        .iter()
        .chain(ENVIRONMENT_ONLY)
        .map(|(variable, _)| (*variable).to_owned())
        .chain([CONFIG_FILE_VARIABLE.to_owned()])
        .collect();
    let missing: Vec<_> = known.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "README's configuration table lacks {missing:?}"
    );
    let unknown: Vec<_> = listed.difference(&known).collect();
    assert!(
        unknown.is_empty(),
        "README's configuration table lists {unknown:?}, unknown here"
    );
}

#[test]
fn every_variable_reaches_a_key_its_section_knows() {
    for (variable, path) in OVERRIDES {
        // Whatever the value does to the rest, it must not be an unknown key.
        if let Err(err) = Settings::from_toml("", &[(*variable, "x")]) {
            let message = err.to_string();
            assert!(!message.contains("unknown key"), "{variable}: {message}");
            assert!(message.contains(variable), "{variable}: {message}");
            assert!(message.contains(path), "{variable}: {message}");
        }
    }
}

#[test]
fn no_variable_is_both_a_file_override_and_environment_only() {
    let names: BTreeSet<&str> = OVERRIDES.iter().map(|(v, _)| *v).collect();
    assert_eq!(
        names.len(),
        OVERRIDES.len(),
        "a variable twice in OVERRIDES"
    );
    let paths: BTreeSet<&str> = OVERRIDES.iter().map(|(_, p)| *p).collect();
    assert_eq!(paths.len(), OVERRIDES.len(), "a key with two variables");
    for (variable, _) in ENVIRONMENT_ONLY {
        assert!(!names.contains(variable), "{variable} is in both lists");
    }
}

#[test]
fn environment_switches_read_the_usual_words() {
    for on in ["1", "true", "TRUE", "yes", "On"] {
        assert_eq!(parse_bool(on), Some(true), "{on}");
    }
    for off in ["0", "false", "No", "off"] {
        assert_eq!(parse_bool(off), Some(false), "{off}");
    }
    for neither in ["", " true", "2", "y"] {
        assert_eq!(parse_bool(neither), None, "{neither}");
    }
}
