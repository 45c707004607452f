//! How the rendered document is laid out: pretty JSON, except that an object holding only a
//! `$ref` stays on one line (`{ "$ref": "#/components/headers/RateLimit" }`). The spec refers to
//! its components a thousand times; three lines for each would be a third of the file.

/// `pretty` as serde_json's pretty printer writes it (one member per line, strings never span
/// lines), with every `{` / `"$ref": "…"` / `}` triple joined into one line.
pub fn one_line_refs(pretty: &str) -> String {
    let lines: Vec<&str> = pretty.split('\n').collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if let (Some(open), Some(member), Some(close)) = (lines.get(i), lines.get(i + 1), lines.get(i + 2)) {
            let member = member.trim_start();
            let close = close.trim_start();
            // A line ends with `{` only where an object opens; a member line ending with `"` is
            // a whole `"$ref": "<string>"` (a nested value would end with `{` or `[`), and the
            // closing brace right after it makes it the object's only member.
            if open.ends_with('{')
                && member.starts_with("\"$ref\": \"")
                && member.ends_with('"')
                && (close == "}" || close == "},")
            {
                out.push(format!("{open} {member} {close}"));
                i += 3;
                continue;
            }
        }
        out.push(lines[i].to_owned());
        i += 1;
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::one_line_refs;

    #[test]
    fn only_objects_holding_just_a_ref_go_on_one_line() {
        let value = serde_json::json!({
            "a": {"$ref": "#/components/schemas/A"},
            "b": [{"$ref": "#/components/schemas/B"}, {"$ref": "#/x", "description": "kept"}],
            "c": {"$ref": "not \"closed\" {"},
            "d": {"e": {"$ref": "#/components/headers/E"}},
            "f": "{"
        });
        let pretty = serde_json::to_string_pretty(&value).expect("json");
        let laid_out = one_line_refs(&pretty);
        assert!(laid_out.contains("\"a\": { \"$ref\": \"#/components/schemas/A\" },"));
        assert!(laid_out.contains("    { \"$ref\": \"#/components/schemas/B\" },"));
        assert!(laid_out.contains("\"e\": { \"$ref\": \"#/components/headers/E\" }\n"));
        assert!(laid_out.contains("\"description\": \"kept\""));
        assert!(!laid_out.ends_with('\n'));
        let reparsed: serde_json::Value = serde_json::from_str(&laid_out).expect("still JSON");
        assert_eq!(reparsed, value);
    }
}
