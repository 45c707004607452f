//! The red-flag engine measured as a classifier, through HTTP: every sentence of the labelled corpus
//! (`tests/data/red_flag_corpus.tsv`) is posted to `POST /v1/claim-checks`, and the warn/critical
//! codes returned are compared with the labels. Prints a per-rule table (visible with
//! `--nocapture`), writes it as Markdown to `target/red-flag-metrics.md`, and fails below 90 %
//! recall or above 5 % false positives, overall and for every rule with at least 5 labelled
//! sentences.

use std::collections::BTreeMap;

use futures_util::stream::{self, StreamExt};

use crate::helpers::TestApp;

const CORPUS: &str = include_str!("../data/red_flag_corpus.tsv");
/// Sentences never used to tune the engine (see the file's header).
const HOLDOUT: &str = include_str!("../data/red_flag_holdout.tsv");

/// An info rule measured like the others: its sentences count when it is raised at any severity.
const INFO_RULE: &str = "MSC_TRANSDIFFERENTIATION_CLAIM";

/// The rules the corpus must cover (every text rule, and many conditions named in text).
const RULES: [&str; 10] = [
    "TESTIMONIAL_AS_EVIDENCE",
    "NO_RISK_CLAIM",
    "GUARANTEED_OUTCOME",
    "FALSE_APPROVAL_CLAIM",
    "REGENERATE_AVOID_SURGERY",
    "CELEBRITY_OR_ATHLETE",
    "URGENCY_PRESSURE",
    "OUTCOME_CLAIM_UNSOURCED",
    "SAME_CELLS_MANY_CONDITIONS",
    INFO_RULE,
];

const MIN_RECALL: f64 = 0.90;
const MAX_FP_RATE: f64 = 0.05;

struct Line {
    sentence: String,
    labels: Vec<String>,
}

fn corpus() -> Vec<Line> {
    labelled_lines(CORPUS)
}

fn labelled_lines(file: &str) -> Vec<Line> {
    file.lines()
        .filter(|l| !(l.trim().is_empty() || l.starts_with("# ") || l.trim() == "#"))
        .map(|line| {
            let mut columns = line.split('\t');
            let sentence = columns.next().unwrap_or_default().trim().to_owned();
            let labels = columns
                .next()
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect();
            Line { sentence, labels }
        })
        .collect()
}

/// The codes a sentence raises: warn and critical ones, plus the info rule at any severity.
async fn raised(app: &TestApp, sentence: &str) -> (Vec<String>, bool) {
    let response = app
        .client
        .post(app.url("/v1/claim-checks"))
        .json(&serde_json::json!({ "text": sentence }))
        .send()
        .await
        .expect("claim-check request");
    assert_eq!(response.status().as_u16(), 200, "{sentence}");
    let body: serde_json::Value = response.json().await.expect("json");
    let flags = body["red_flags"].as_array().cloned().unwrap_or_default();
    let warns = |f: &serde_json::Value| f["severity"] == "warn" || f["severity"] == "critical";
    let codes = flags
        .iter()
        .filter(|f| warns(f) || f["code"] == INFO_RULE)
        .filter_map(|f| f["code"].as_str().map(str::to_owned))
        .collect();
    (codes, flags.iter().any(warns))
}

#[derive(Default)]
struct RuleCount {
    labelled: usize,
    caught: usize,
    false_positives: usize,
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        "–".to_owned()
    } else {
        format!("{:.1} %", 100.0 * n as f64 / d as f64)
    }
}

#[tokio::test]
async fn red_flag_corpus_recall_and_false_positives() {
    let app = TestApp::spawn().await;
    let lines = corpus();
    let results: Vec<(Vec<String>, bool)> = stream::iter(lines.iter())
        .map(|line| raised(&app, &line.sentence))
        .buffered(8)
        .collect()
        .await;

    let mut per_rule: BTreeMap<&str, RuleCount> = RULES.iter().map(|r| (*r, RuleCount::default())).collect();
    let (mut flagged, mut flagged_caught, mut honest, mut honest_flagged) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for (line, (codes, any_warn)) in lines.iter().zip(&results) {
        if line.labels.is_empty() {
            honest += 1;
            if *any_warn {
                honest_flagged += 1;
                misses.push(format!("false positive {codes:?}: {}", line.sentence));
            }
            for code in codes {
                if let Some(count) = per_rule.get_mut(code.as_str()) {
                    count.false_positives += 1;
                }
            }
            continue;
        }
        flagged += 1;
        let mut all = true;
        for label in &line.labels {
            let count = per_rule
                .get_mut(label.as_str())
                .unwrap_or_else(|| panic!("unknown label {label}"));
            count.labelled += 1;
            if codes.contains(label) {
                count.caught += 1;
            } else {
                all = false;
                misses.push(format!("missed {label} (got {codes:?}): {}", line.sentence));
            }
        }
        if all {
            flagged_caught += 1;
        }
    }

    let mut table = String::from(
        "| Rule | Labelled | Caught | Recall | False positives | FP rate |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let mut failures = Vec::new();
    for (rule, count) in &per_rule {
        table.push_str(&format!(
            "| `{rule}` | {} | {} | {} | {} | {} |\n",
            count.labelled,
            count.caught,
            pct(count.caught, count.labelled),
            count.false_positives,
            pct(count.false_positives, honest)
        ));
        if count.labelled < 5 {
            failures.push(format!("{rule}: only {} labelled sentences", count.labelled));
        } else if (count.caught as f64) < MIN_RECALL * count.labelled as f64 {
            failures.push(format!("{rule}: recall below 90 %"));
        }
        if count.false_positives as f64 > MAX_FP_RATE * honest as f64 {
            failures.push(format!("{rule}: false positives above 5 %"));
        }
    }
    table.push_str(&format!(
        "| **Overall** | {flagged} flagged sentences | {flagged_caught} with every label caught | {} | {honest_flagged} of {honest} honest sentences got a warn/critical flag | {} |\n",
        pct(flagged_caught, flagged),
        pct(honest_flagged, honest)
    ));
    if (flagged_caught as f64) < MIN_RECALL * flagged as f64 {
        failures.push("overall recall below 90 %".to_owned());
    }
    if honest_flagged as f64 > MAX_FP_RATE * honest as f64 {
        failures.push("overall false positives above 5 %".to_owned());
    }
    if flagged < 150 || honest < 150 {
        failures.push(format!("corpus too small: {flagged} flagged, {honest} honest"));
    }

    println!(
        "\nRed-flag corpus ({} sentences, POST /v1/claim-checks)\n\n{table}",
        lines.len()
    );
    for miss in &misses {
        println!("{miss}");
    }
    let markdown = format!(
        "<!-- written by tests/api/red_flag_corpus.rs from tests/data/red_flag_corpus.tsv -->\n\n\
         Red-flag engine on its labelled corpus ({} sentences: {flagged} that must raise a warn or critical \
         flag, {honest} honest ones), measured through `POST /v1/claim-checks`. Recall per rule is over the \
         sentences labelled with it; a rule's FP rate is the honest sentences it fires on / honest sentences. \
         `{INFO_RULE}` is an info rule and counts at any severity.\n\n{table}",
        lines.len()
    );
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&target).expect("target directory");
    std::fs::write(target.join("red-flag-metrics.md"), markdown).expect("write metrics");

    assert!(
        failures.is_empty(),
        "{}\n{}",
        failures.join("\n"),
        misses.join("\n")
    );
}

/// The held-out sentences: overall recall and false positives only (too few per rule for a
/// per-rule figure), held to the same thresholds as the corpus.
#[tokio::test]
async fn red_flag_holdout_recall_and_false_positives() {
    let app = TestApp::spawn().await;
    let lines = labelled_lines(HOLDOUT);
    let results: Vec<(Vec<String>, bool)> = stream::iter(lines.iter())
        .map(|line| raised(&app, &line.sentence))
        .buffered(8)
        .collect()
        .await;
    let (mut flagged, mut caught, mut honest, mut honest_flagged) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for (line, (codes, any_warn)) in lines.iter().zip(&results) {
        if line.labels.is_empty() {
            honest += 1;
            if *any_warn {
                honest_flagged += 1;
                misses.push(format!("false positive {codes:?}: {}", line.sentence));
            }
        } else {
            flagged += 1;
            if line.labels.iter().all(|label| codes.contains(label)) {
                caught += 1;
            } else {
                misses.push(format!(
                    "missed {:?} (got {codes:?}): {}",
                    line.labels, line.sentence
                ));
            }
        }
    }
    println!(
        "\nRed-flag held-out set: {caught} of {flagged} flagged sentences caught ({}), \
         {honest_flagged} of {honest} honest sentences flagged ({})",
        pct(caught, flagged),
        pct(honest_flagged, honest)
    );
    for miss in &misses {
        println!("{miss}");
    }
    assert!(
        flagged >= 40 && honest >= 40,
        "held-out set too small: {flagged} flagged, {honest} honest"
    );
    assert!(
        caught as f64 >= MIN_RECALL * flagged as f64,
        "held-out recall below 90 %\n{}",
        misses.join("\n")
    );
    assert!(
        honest_flagged as f64 <= MAX_FP_RATE * honest as f64,
        "held-out false positives above 5 %\n{}",
        misses.join("\n")
    );
}
