//! One output object whose top-level keys keep their insertion order, like the real CLI's lines
//! (`"type"` first). Nested objects are plain `serde_json::Value`s.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// A JSON object with ordered top-level keys.
#[derive(Clone, Debug, Default)]
pub struct Line {
    fields: Vec<(&'static str, Value)>,
}

impl Line {
    /// A line whose first key is `"type"`.
    pub fn of_type(kind: &str) -> Self {
        Line::default().with("type", kind)
    }

    /// Appends a field (builder style).
    pub fn with(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.fields.push((key, value.into()));
        self
    }

    /// Appends a field only if `value` is `Some`.
    pub fn with_opt(self, key: &'static str, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(v) => self.with(key, v),
            None => self,
        }
    }

    /// The value of a top-level field.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Compact JSON text, raw UTF-8 (serde_json never escapes non-ASCII).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a Line always serializes")
    }
}

impl Serialize for Line {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (k, v) in &self.fields {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order_and_writes_raw_utf8() {
        let line = Line::of_type("result").with("b", 1).with("a", "—·");
        assert_eq!(line.to_json(), r#"{"type":"result","b":1,"a":"—·"}"#);
        assert_eq!(line.get("a"), Some(&Value::from("—·")));
    }
}
