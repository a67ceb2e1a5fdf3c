//! The depth and alias guards, applied to the document juniper itself parsed (so nothing it can
//! read escapes them) before juniper validates it. Fragments are walked once each, whatever the
//! number of paths that reach them.

use std::collections::{HashMap, HashSet};

use juniper::{Definition, ScalarValue, Selection};

use crate::error::Error;

/// The limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest field nesting, fragments expanded.
    pub max_depth: usize,
    /// Most aliased fields in the document.
    pub max_aliases: usize,
    /// Largest cost of the operation (see `cost.rs`).
    pub max_cost: u64,
}

/// Checks the depth of every operation and the number of aliases in the whole document.
pub fn check<S: ScalarValue>(document: &[Definition<'_, S>], limits: Limits) -> Result<(), Error> {
    let alias_count: usize = document
        .iter()
        .map(|definition| match definition {
            Definition::Operation(op) => aliases(&op.item.selection_set),
            Definition::Fragment(f) => aliases(&f.item.selection_set),
        })
        .sum();
    if alias_count > limits.max_aliases {
        return Err(Error::bad_input(format!(
            "the document uses {alias_count} aliases; at most {} are allowed",
            limits.max_aliases
        )));
    }
    let mut depths = Depths::new(document);
    for definition in document {
        let Definition::Operation(op) = definition else {
            continue;
        };
        let depth = depths.of(&op.item.selection_set);
        if depth > limits.max_depth {
            let name = op.item.name.as_ref().map_or("(anonymous)", |n| n.item);
            return Err(Error::bad_input(format!(
                "operation {name} nests fields {depth} levels deep; at most {} levels are allowed",
                limits.max_depth
            )));
        }
    }
    Ok(())
}

fn aliases<S>(set: &[Selection<'_, S>]) -> usize {
    set.iter()
        .map(|selection| match selection {
            Selection::Field(f) => {
                usize::from(f.item.alias.is_some())
                    + f.item.selection_set.as_deref().map_or(0, aliases)
            }
            Selection::InlineFragment(i) => aliases(&i.item.selection_set),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Field depth with fragments expanded, each fragment's depth worked out once.
struct Depths<'a, 'd, S> {
    fragments: HashMap<&'a str, &'d [Selection<'a, S>]>,
    known: HashMap<&'a str, usize>,
    /// Fragments being walked: a spread of one of them is a cycle, which juniper's validation
    /// refuses; here it adds nothing.
    open: HashSet<&'a str>,
}

impl<'a, 'd, S> Depths<'a, 'd, S> {
    fn new(document: &'d [Definition<'a, S>]) -> Self {
        let fragments = document
            .iter()
            .filter_map(|definition| match definition {
                Definition::Fragment(f) => {
                    Some((f.item.name.item, f.item.selection_set.as_slice()))
                }
                Definition::Operation(_) => None,
            })
            .collect();
        Depths {
            fragments,
            known: HashMap::new(),
            open: HashSet::new(),
        }
    }

    /// Recursion is bounded: juniper's parser refuses documents nested deeper than its own
    /// limit (64 levels, fragment spreads included) before this runs.
    fn of(&mut self, set: &'d [Selection<'a, S>]) -> usize {
        let mut deepest = 0;
        for selection in set {
            let depth = match selection {
                Selection::Field(f) => {
                    1 + f.item.selection_set.as_deref().map_or(0, |s| self.of(s))
                }
                Selection::InlineFragment(i) => self.of(&i.item.selection_set),
                Selection::FragmentSpread(s) => self.fragment(s.item.name.item),
            };
            deepest = deepest.max(depth);
        }
        deepest
    }

    fn fragment(&mut self, name: &'a str) -> usize {
        if let Some(&depth) = self.known.get(name) {
            return depth;
        }
        let Some(&set) = self.fragments.get(name) else {
            return 0;
        };
        if !self.open.insert(name) {
            return 0;
        }
        let depth = self.of(set);
        self.open.remove(name);
        self.known.insert(name, depth);
        depth
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_depth: 4,
        max_aliases: 2,
        max_cost: u64::MAX,
    };

    fn check_text(query: &str) -> Result<(), Error> {
        let schema = crate::graphql::schema(true);
        let document = juniper::parser::parse_document_source(query, &schema.schema)
            .expect("test documents parse");
        check(&document, LIMITS)
    }

    #[test]
    fn depth_counts_fields_through_fragments() {
        assert!(check_text("{ user(id: \"u\") { images { nodes { url } } } }").is_ok());
        let five = "{ user(id: \"u\") { images { nodes { owner { id } } } } }";
        let message = check_text(five).unwrap_err().message().to_owned();
        assert!(
            message.contains("5 levels deep; at most 4 levels"),
            "{message}"
        );
        let via_fragment = "query Q { user(id: \"u\") { ...F } } fragment F on User { images { nodes { owner { id } } } }";
        assert!(check_text(via_fragment).is_err());
        let via_inline =
            "query Q { user(id: \"u\") { ... on User { images { nodes { owner { id } } } } } }";
        assert!(check_text(via_inline).is_err());
        let cycle = "{ viewer { ...A } } fragment A on User { ...B } fragment B on User { ...A }";
        assert!(check_text(cycle).is_ok());
    }

    #[test]
    fn a_fragment_counts_at_each_depth_it_is_spread_at() {
        // F is 2 deep; spread at depth 1 and again at depth 3 (through G), the second is 5 deep.
        let doc = "{ viewer { ...F images { nodes { ...G } } } } \
                   fragment F on User { images { __typename } } \
                   fragment G on Image { owner { ...F } }";
        let message = check_text(doc).unwrap_err().message().to_owned();
        assert!(message.contains("6 levels deep"), "{message}");
    }

    #[test]
    fn aliases_are_counted_everywhere() {
        assert!(check_text("{ a: viewer { id } b: viewer { id } }").is_ok());
        let three =
            "{ a: viewer { id } b: viewer { id } ...F } fragment F on Query { c: viewer { id } }";
        let message = check_text(three).unwrap_err().message().to_owned();
        assert!(message.contains("3 aliases"), "{message}");
    }
}
