//! What of a request's variables may go into a log line. The rule (README, "Audit trail"):
//!
//! - numbers, booleans, null and enum values are kept;
//! - strings are kept only under a name that holds an id (`id`, or ending in `Id`: `imageId`,
//!   `userId`) or a closed vocabulary (`visibility`, `contentType`, `method`), and only when they
//!   look like one (at most 64 visible ASCII characters);
//! - every other string (file names, cursors, hashes, free text) becomes `"<redacted>"`, lists and
//!   input objects are walked with the same rule, and a name is never redacted.

use juniper::{DefaultScalarValue, InputValue, Variables};
use serde_json::{Map, Value};

/// What replaces a string that is not kept.
pub const REDACTED: &str = "<redacted>";

/// Names whose string values are a closed vocabulary, safe to log.
const VOCABULARY: [&str; 3] = ["visibility", "contentType", "method"];

fn keeps_strings(name: &str) -> bool {
    name == "id" || name.ends_with("Id") || VOCABULARY.contains(&name)
}

fn looks_like_a_token(s: &str) -> bool {
    s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic())
}

fn redact(name: &str, value: &InputValue<DefaultScalarValue>) -> Value {
    match value {
        InputValue::Null => Value::Null,
        InputValue::Scalar(DefaultScalarValue::Int(i)) => Value::from(*i),
        InputValue::Scalar(DefaultScalarValue::Float(f)) => Value::from(*f),
        InputValue::Scalar(DefaultScalarValue::Boolean(b)) => Value::from(*b),
        InputValue::Scalar(DefaultScalarValue::String(s)) => {
            if keeps_strings(name) && looks_like_a_token(s) {
                Value::from(s.as_str())
            } else {
                Value::from(REDACTED)
            }
        }
        InputValue::Enum(e) => Value::from(e.as_str()),
        InputValue::Variable(v) => Value::from(format!("${v}")),
        InputValue::List(items) => items.iter().map(|i| redact(name, &i.item)).collect(),
        InputValue::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.item.clone(), redact(&k.item, &v.item)))
                .collect(),
        ),
    }
}

/// The variables as a JSON object, redacted by the rule above.
pub fn variables(variables: &Variables) -> Value {
    let mut out: Map<String, Value> = variables
        .iter()
        .map(|(name, value)| (name.clone(), redact(name, value)))
        .collect();
    out.sort_keys();
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Variables {
        serde_json::from_str(json).expect("variables")
    }

    #[test]
    fn ids_and_vocabulary_stay_file_names_and_free_text_go() {
        let vars = parse(
            r#"{"imageId":"0192f0c3a1b2","visibility":"PUBLIC","first":20,"after":"MTcwMDAwMDAwMDAwMDp4",
                "input":{"filename":"Holiday in Lisbon.jpg","contentType":"image/jpeg","size":1024,
                "sha256":"ab12","visibility":"FRIENDS","keepLocation":false,"tags":["home","gps"]}}"#,
        );
        assert_eq!(
            variables(&vars),
            serde_json::json!({
                "after": REDACTED,
                "first": 20,
                "imageId": "0192f0c3a1b2",
                "input": {
                    "contentType": "image/jpeg",
                    "filename": REDACTED,
                    "keepLocation": false,
                    "sha256": REDACTED,
                    "size": 1024,
                    "tags": [REDACTED, REDACTED],
                    "visibility": "FRIENDS"
                },
                "visibility": "PUBLIC"
            })
        );
    }

    #[test]
    fn an_id_field_that_does_not_look_like_an_id_is_redacted() {
        let long = "x".repeat(65);
        let vars = parse(&format!(
            r#"{{"userId":"{long}","id":"two words","imageId":"Bearer\u0000"}}"#
        ));
        assert_eq!(
            variables(&vars),
            serde_json::json!({"id": REDACTED, "imageId": REDACTED, "userId": REDACTED})
        );
    }
}
