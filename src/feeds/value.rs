//! The number an event carries, if it carries one obvious number (pure).
//!
//! `42.5` is one; so is JSON with exactly one numeric member (`{"symbol":"RILL","price":101.5}`)
//! or, among several, a member named [`PREFERRED`] (`{"price":1,"qty":3}` → the price).
//! Anything else (`{"home":2,"away":1}`, text) has none and gets no sparkline.

use crate::json::Json;

/// Member names taken as the value when an object has several numbers, in this order.
pub const PREFERRED: [&str; 4] = ["value", "price", "score", "last"];
/// Longer data is not parsed for a number (it is no ticker value).
pub const PARSE_MAX: usize = 4096;

/// The obvious number in `data`, and the member it came from (`None` for a bare number).
pub fn numeric_value(data: &str) -> Option<(f64, Option<String>)> {
    let data = data.trim();
    if data.is_empty() || data.len() > PARSE_MAX {
        return None;
    }
    let Ok(value) = Json::parse(data) else {
        return None;
    };
    match value {
        Json::Num(n) if n.is_finite() => Some((n, None)),
        Json::Obj(members) => {
            let numbers: Vec<(&str, f64)> = members
                .iter()
                .filter_map(|(k, v)| match v {
                    Json::Num(n) if n.is_finite() => Some((k.as_ref(), *n)),
                    _ => None,
                })
                .collect();
            let pick = match numbers.as_slice() {
                [one] => Some(*one),
                [] => None,
                many => PREFERRED
                    .iter()
                    .find_map(|name| many.iter().rev().find(|(k, _)| k == name).copied()),
            };
            pick.map(|(k, n)| (n, Some(k.to_string())))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_number_is_the_value() {
        assert_eq!(numeric_value(" 42.5\n"), Some((42.5, None)));
        assert_eq!(numeric_value("-3"), Some((-3.0, None)));
    }

    #[test]
    fn one_numeric_member_is_the_value() {
        assert_eq!(
            numeric_value(r#"{"symbol":"RILL","price":101.25}"#),
            Some((101.25, Some("price".into())))
        );
    }

    #[test]
    fn among_several_numbers_a_preferred_name_wins() {
        assert_eq!(
            numeric_value(r#"{"symbol":"RILL","price":101.25,"qty":7}"#),
            Some((101.25, Some("price".into())))
        );
        assert_eq!(numeric_value(r#"{"home":2,"away":1,"minute":30}"#), None);
    }

    #[test]
    fn text_and_other_json_have_no_value() {
        for data in [
            "",
            "tick 5",
            "12:00:00",
            "[1,2]",
            r#""7""#,
            "true",
            r#"{"a":"1"}"#,
            "{",
        ] {
            assert_eq!(numeric_value(data), None, "{data}");
        }
        assert_eq!(
            numeric_value(&format!("{}1", " ".repeat(PARSE_MAX + 1))),
            Some((1.0, None))
        );
        assert_eq!(numeric_value(&"1".repeat(PARSE_MAX + 1)), None);
    }
}
