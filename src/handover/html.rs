//! The handover pack as a printable HTML page: server-rendered, every value escaped, no scripts
//! and no external assets (styles inline, with print rules), in English (`lang="en"`).

use std::fmt::Write;

use crate::handover::dto::{HandoverPack, Named};

/// HTML-escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;\
line-height:1.45;color:#111}h1{font-size:1.5rem}h2{font-size:1.15rem;border-bottom:1px solid #999;\
margin-top:1.6rem}table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.25rem .4rem;\
text-align:left;vertical-align:top}dt{font-weight:600}dd{margin:0 0 .4rem 0}.note{font-style:italic}\
.src{font-size:.85em;color:#444}@media print{body{margin:0;max-width:none;font-size:11pt}\
a{color:inherit;text-decoration:none}h2{break-after:avoid}table,li{break-inside:avoid}}";

fn opt(value: Option<&str>) -> String {
    value.map_or_else(|| "not recorded".to_owned(), escape)
}

fn named(value: &Named) -> String {
    match &value.name {
        Some(name) => format!("{} ({})", escape(name), escape(&value.slug)),
        None => escape(&value.slug),
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "none recorded".to_owned();
    }
    let mut out = String::from("<ul>");
    for item in items {
        let _ = write!(out, "<li>{}</li>", escape(item));
    }
    out.push_str("</ul>");
    out
}

fn cite(id: &str) -> String {
    format!(
        " <span class=\"src\">[<a href=\"#src-{0}\">{0}</a>]</span>",
        escape(id)
    )
}

/// The page.
pub fn render(pack: &HandoverPack) -> String {
    let t = &pack.treatment;
    let mut page = String::with_capacity(16 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><title>Treatment handover for the home doctor</title>\
<style>{STYLE}</style></head><body><main><h1>Treatment handover for the home doctor</h1>\
<p class=\"note\">{}{}</p><p>Condition: {}. Generated {}.</p>",
        escape(pack.disclaimer.text),
        cite(super::domain::DISCLAIMER),
        named(&pack.condition),
        escape(&pack.generated_at.to_rfc3339()),
    );
    let _ = write!(
        page,
        "<h2>What was given, where</h2>{}<dl><dt>Date</dt><dd>{}</dd><dt>Cells</dt><dd>{}, {}</dd>\
<dt>Cell count</dt><dd>{}</dd><dt>Administration</dt><dd>{}</dd><dt>Sites</dt><dd>{}</dd>\
<dt>Product lot</dt><dd>{}</dd><dt>Certificate of analysis</dt><dd>{}</dd>\
<dt>Medications during the stay</dt><dd>{}</dd><dt>Recorded</dt><dd>by {} on {}</dd></dl>",
        cite(t.source_id),
        t.treated_on,
        named(&t.cell_type),
        t.cell_source.map_or("source not recorded", |s| s.as_str()),
        t.cell_count
            .map_or_else(|| "not recorded".to_owned(), |n| n.to_string()),
        t.administration_method
            .as_ref()
            .map_or_else(|| "not recorded".to_owned(), named),
        list(&t.sites),
        opt(t.product_lot.as_deref()),
        opt(t.certificate_of_analysis.as_deref()),
        list(&t.medications),
        escape(&t.recorded_by),
        escape(&t.recorded_at.to_rfc3339()),
    );
    let _ = write!(page, "<h2>Adverse events during the stay</h2>");
    if t.adverse_events_during_stay.is_empty() {
        page.push_str("<p>None recorded.</p>");
    } else {
        let _ = write!(
            page,
            "<table><thead><tr><th>Category</th><th>Severity{}</th><th>Description</th></tr></thead><tbody>",
            cite(super::domain::CTCAE)
        );
        for event in &t.adverse_events_during_stay {
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                event.category.as_str(),
                event.severity.as_str(),
                opt(event.description.as_deref()),
            );
        }
        page.push_str("</tbody></table>");
    }
    let _ = write!(page, "<h2>Complications the sources name</h2><ul>");
    for sign in &pack.warning_signs {
        let _ = write!(
            page,
            "<li>{}{}</li>",
            escape(sign.complication),
            cite(sign.source_id)
        );
    }
    let _ = write!(
        page,
        "</ul><p class=\"note\">{}</p>",
        escape(pack.warning_signs_note)
    );
    let c = &pack.clinic;
    let _ = write!(
        page,
        "<h2>The treating clinic</h2><dl><dt>Name</dt><dd>{}</dd><dt>Place</dt><dd>{}, {}</dd>\
<dt>Website</dt><dd>{}</dd><dt>Not listed</dt><dd>{}</dd></dl><p class=\"note\">{}</p>",
        escape(&c.name),
        opt(c.city.as_deref()),
        opt(c.country_code.as_deref()),
        opt(c.website.as_deref()),
        escape(&c.unknown_fields.join(", ")),
        escape(c.note),
    );
    page.push_str("<h2>What the evidence says</h2>");
    match &pack.evidence {
        Some(summary) => {
            let _ = write!(
                page,
                "<p><strong>{}</strong> (GRADE certainty: {}). {}</p>",
                escape(&summary.badge),
                escape(
                    serde_json::to_string(&summary.certainty)
                        .unwrap_or_default()
                        .trim_matches('"')
                ),
                escape(&summary.plain_summary),
            );
            let mut cited = vec![cite(&format!("evidence:{}", summary.slug))];
            cited.extend(
                summary
                    .citations
                    .iter()
                    .map(|c| cite(&format!("study:{}", c.slug))),
            );
            let _ = write!(page, "<p>Sources: {}</p>", cited.join(" "));
        }
        None => {
            let _ = write!(page, "<p>{}.</p>", escape(pack.evidence_note.unwrap_or_default()));
        }
    }
    let _ = write!(
        page,
        "<h2>Follow-up schedule</h2><table><thead><tr><th>Time point</th><th>Due</th><th>Window</th></tr></thead><tbody>"
    );
    for point in &pack.follow_up_schedule {
        let opens = point
            .window_opens
            .map_or_else(|| "from acceptance".to_owned(), |d| d.to_string());
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{} to {}</td></tr>",
            point.time_point.as_str(),
            point.due_on,
            opens,
            point.window_closes,
        );
    }
    let _ = write!(
        page,
        "</tbody></table><p class=\"note\">{}{}</p><h2>Sources</h2><ol>",
        escape(pack.follow_up_note),
        cite(super::domain::ICHOM)
    );
    for source in &pack.sources {
        let link = source.url.as_deref().map_or_else(String::new, |url| {
            format!(" <a href=\"{0}\">{0}</a>", escape(url))
        });
        let _ = write!(
            page,
            "<li id=\"src-{}\">[{}] {}{}</li>",
            escape(&source.id),
            escape(&source.id),
            escape(&source.title),
            link
        );
    }
    page.push_str("</ol></main></body></html>");
    page
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
