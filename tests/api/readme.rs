//! The README's tour of the loop after the offer, replayed: every `curl` of that section is sent as
//! written (method, path, headers, body) to a running server, in order, and must succeed. A path,
//! field or value in the README that the API does not take fails here.

use std::collections::HashMap;
use std::iter::Peekable;
use std::str::Chars;

use chrono::Months;
use serde_json::Value;

use crate::follow_ups::advance_to;
use crate::helpers::TestApp;
use crate::journey::{accepted_quote, liv};

const README: &str = include_str!("../../README.md");
const SECTION: &str = "### After the offer: the loop";
const SERVER: &str = "http://127.0.0.1:8080";

/// The commands of the section's first `sh` block, continuation lines joined, comment lines
/// dropped.
fn tour_commands() -> Vec<String> {
    let section = &README[README.find(SECTION).expect("the README has the loop's tour")..];
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a sh block");
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in block.lines() {
        if current.is_empty() && line.trim_start().starts_with('#') {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(start) => current.push_str(start),
            None => {
                current.push_str(line);
                current.push('\n');
            }
        }
        // A body in single quotes may span lines: the command ends where its quotes close.
        if !line.ends_with('\\') && !open_quote(&current) {
            commands.push(std::mem::take(&mut current));
        }
    }
    commands
}

/// Whether `text` ends inside a quoted string (quotes in `# comments` do not count).
fn open_quote(text: &str) -> bool {
    let (mut single, mut double, mut comment) = (false, false, false);
    let mut previous = ' ';
    for c in text.chars() {
        match c {
            '\n' => comment = false,
            _ if comment => {}
            '#' if !single && !double && previous.is_whitespace() => comment = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            _ => {}
        }
        previous = c;
    }
    single || double
}

/// Splits a shell command into words as `sh` would for these simple forms: single and double
/// quotes, `$NAME` expanded from `vars`; stops at an unquoted `|`, `>` or `#`.
fn words(command: &str, vars: &HashMap<String, String>) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '$' => expand(&mut chars, vars, &mut word),
                        _ => word.push(q),
                    }
                }
            }
            '$' => {
                in_word = true;
                expand(&mut chars, vars, &mut word);
            }
            '|' | '>' | '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Appends the value of the variable whose name follows in `chars` (after its `$`).
fn expand(chars: &mut Peekable<Chars<'_>>, vars: &HashMap<String, String>, word: &mut String) {
    let mut name = String::new();
    while let Some(c) = chars.next_if(|c| c.is_ascii_alphanumeric() || *c == '_') {
        name.push(c);
    }
    word.push_str(vars.get(&name).unwrap_or_else(|| panic!("${name} is not set")));
}

#[tokio::test]
async fn the_readme_tour_of_the_loop_runs_as_written() {
    let app = TestApp::spawn().await;
    // What the README's quote section left in the shell: an accepted offer of Liv's.
    let liv = liv(&app).await;
    let patient = accepted_quote(&app, "tour@example.com", &liv).await;
    let mut vars: HashMap<String, String> = HashMap::from([
        ("QUOTE".to_owned(), patient.quote_id.clone()),
        ("TOKEN".to_owned(), patient.token.clone()),
        ("PARTNER".to_owned(), liv.key.clone()),
        ("CLINIC".to_owned(), liv.id.clone()),
    ]);
    let mut captured: HashMap<String, Value> = HashMap::new();
    let treated_on = app.clock.today();
    let command_substitution = regex::Regex::new(r#"\$\(echo "\$(\w+)" \| jq -r \.(\w+)\)"#).expect("regex");
    let assignment = regex::Regex::new(r"(?s)^(\w+)=\$\((.*)\)\s*(#.*)?$").expect("regex");
    let jq_field = regex::Regex::new(r"\| jq -r \.(\w+)\s*$").expect("regex");

    let commands = tour_commands();
    let mut sent = Vec::new();
    for command in &commands {
        // `$(date -u +%F)` is the server's day; `$(echo "$LINK" | jq -r .url)` a captured field.
        let mut command = command.replace("$(date -u +%F)", &treated_on.to_string());
        command = command_substitution
            .replace_all(&command, |c: &regex::Captures| {
                captured[&c[1]][&c[2]]
                    .as_str()
                    .expect("a string field")
                    .to_owned()
            })
            .into_owned();
        let (target, command) = match assignment.captures(command.trim()) {
            Some(c) => (Some(c[1].to_owned()), c[2].to_owned()),
            None => (None, command),
        };
        let field = jq_field.captures(&command).map(|c| c[1].to_owned());
        let words = words(&command, &vars);
        assert_eq!(words.first().map(String::as_str), Some("curl"), "{command}");
        let (mut method, mut url, mut headers, mut body) = ("GET".to_owned(), None, Vec::new(), None);
        let mut args = words[1..].iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-s" | "-i" => {}
                "-X" => method = args.next().expect("a method").clone(),
                "-H" => headers.push(args.next().expect("a header").clone()),
                "-d" => body = Some(args.next().expect("a body").clone()),
                other if other.starts_with(SERVER) => url = Some(other[SERVER.len()..].to_owned()),
                other => panic!("curl option {other} is not replayed: {command}"),
            }
        }
        let path = url.unwrap_or_else(|| panic!("no URL in {command}"));
        // The tour's month-3 answer is sent three months on, on its due day.
        if path.ends_with("/follow-ups/month_3") {
            advance_to(&app, treated_on.checked_add_months(Months::new(3)).expect("date"));
        }
        let mut request = app
            .client
            .request(method.parse().expect("method"), app.url(&path));
        for header in &headers {
            let (name, value) = header.split_once(": ").expect("a header line");
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        assert!((200..300).contains(&status), "{method} {path}: {status} {text}");
        if let Some(target) = target {
            let json: Value = serde_json::from_str(&text).expect("a JSON answer to capture");
            match field {
                Some(field) => {
                    vars.insert(target, json[&field].as_str().expect("a string field").to_owned());
                }
                None => {
                    captured.insert(target, json);
                }
            }
        }
        sent.push(format!("{method} {path}"));
    }
    // Every step of the loop, in the README's order.
    let routes: Vec<String> = sent
        .iter()
        .map(|s| s.replace(&patient.quote_id, "{id}").replace(&liv.id, "{clinic}"))
        .collect();
    assert_eq!(routes.len(), 13, "{routes:#?}");
    for (step, expected) in [
        (0, "POST /v1/quotes/{id}/treatment"),
        (1, "GET /v1/quotes/{id}/handover"),
        (2, "GET /v1/quotes/{id}/handover"),
        (3, "POST /v1/quotes/{id}/handover-links"),
        (6, "GET /v1/quotes/{id}/follow-ups"),
        (7, "PUT /v1/quotes/{id}/follow-ups/month_3"),
        (8, "PUT /v1/quotes/{id}/registry-consent"),
        (9, "POST /v1/quotes/{id}/review"),
        (11, "GET /v1/clinics/{clinic}/reviews"),
        (12, "GET /v1/outcome-registry?condition=sciatica"),
    ] {
        assert_eq!(routes[step], expected, "{routes:#?}");
    }
    assert!(routes[4].starts_with("GET /v1/handover/hl_"));
    assert!(routes[5].starts_with("DELETE /v1/quotes/{id}/handover-links/"));
    assert!(
        routes[10].starts_with("POST /v1/partner/clinics/{clinic}/reviews/")
            && routes[10].ends_with("/reply")
    );
    // The reply is published under the review.
    let reviews = app
        .get_json(&format!("/v1/clinics/{}/reviews", liv.id), 200)
        .await;
    assert!(reviews["items"][0]["reply"]["text"].is_string());
}
