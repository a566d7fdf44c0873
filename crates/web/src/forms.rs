//! Form bodies as typed: every field a string, repeated fields kept, so a form that fails
//! validation can be shown again exactly as it was filled in.

use axum::body::Bytes;

#[derive(Debug, Clone, Default)]
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    pub fn parse(body: &Bytes) -> FormFields {
        FormFields(serde_urlencoded::from_bytes(body).unwrap_or_default())
    }

    /// A form filled in from known values (an edit form opened on what is saved).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> FormFields {
        FormFields(pairs)
    }

    /// The first value of a field, or "" when it is missing.
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of a repeated field (checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_are_all_kept_and_missing_ones_are_empty() {
        let form = FormFields::parse(&Bytes::from_static(b"parts=goals&parts=crisis_plan&note=hello+there"));
        assert_eq!(form.all("parts"), vec!["goals", "crisis_plan"]);
        assert_eq!(form.get("note"), "hello there");
        assert_eq!(form.get("missing"), "");
    }

    #[test]
    fn a_malformed_body_reads_as_an_empty_form() {
        let form = FormFields::parse(&Bytes::from_static(b"%%%\xff"));
        assert_eq!(form.get("anything"), "");
    }
}
