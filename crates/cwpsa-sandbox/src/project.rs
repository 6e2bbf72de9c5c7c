//! Field selection (`fields=id,summary,status/name`): nested selections keep their nesting,
//! and a selection through a list applies to each element.

use serde_json::{Map, Value};

/// The selected paths as a tree: `status/name` and `status/id` share the `status` node.
#[derive(Debug, Default)]
pub(crate) struct FieldTree {
    children: Vec<(String, FieldTree)>,
}

impl FieldTree {
    /// Builds the tree from canonical paths (already checked against the schema).
    pub(crate) fn from_paths<'a>(paths: impl IntoIterator<Item = &'a [String]>) -> FieldTree {
        let mut root = FieldTree::default();
        for path in paths {
            let mut node = &mut root;
            for segment in path {
                let index = match node.children.iter().position(|(name, _)| name == segment) {
                    Some(i) => i,
                    None => {
                        node.children.push((segment.clone(), FieldTree::default()));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[index].1;
            }
        }
        root
    }

    /// The selected parts of `value`; a leaf keeps the whole sub-value.
    pub(crate) fn select(&self, value: &Value) -> Value {
        if self.children.is_empty() {
            return value.clone();
        }
        match value {
            Value::Object(map) => {
                let mut out = Map::new();
                for (name, child) in &self.children {
                    if let Some(v) = map.get(name) {
                        out.insert(name.clone(), child.select(v));
                    }
                }
                Value::Object(out)
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|item| self.select(item)).collect())
            }
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(list: &[&str]) -> Vec<Vec<String>> {
        list.iter()
            .map(|p| p.split('/').map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn nested_selection_keeps_nesting_and_walks_lists() {
        let record = json!({
            "id": 7, "summary": "x", "status": {"id": 1, "name": "New", "_info": {}},
            "communicationItems": [{"value": "a@b.c", "defaultFlag": true}, {"value": "555"}]
        });
        let p = paths(&["id", "status/name", "communicationItems/value", "missing"]);
        let tree = FieldTree::from_paths(p.iter().map(Vec::as_slice));
        assert_eq!(
            tree.select(&record),
            json!({"id": 7, "status": {"name": "New"}, "communicationItems": [{"value": "a@b.c"}, {"value": "555"}]})
        );
    }
}
