//! Guards applied to a document before juniper executes it: nesting depth (fragments expanded)
//! and alias count, so one request cannot ask for an unbounded amount of work.

use std::collections::{HashMap, HashSet};

use graphql_parser::query::{
    Definition, Document, OperationDefinition, Selection, SelectionSet, parse_query,
};

use crate::error::Error;

/// The limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest field nesting.
    pub max_depth: usize,
    /// Most aliased fields in the document.
    pub max_aliases: usize,
}

/// What kind of operation a document runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// A query.
    Query,
    /// A mutation.
    Mutation,
    /// A subscription.
    Subscription,
}

type Fragments<'a> = HashMap<&'a str, &'a SelectionSet<'a, &'a str>>;

fn depth<'a>(
    set: &'a SelectionSet<'a, &'a str>,
    fragments: &Fragments<'a>,
    visiting: &mut HashSet<&'a str>,
    cap: usize,
) -> usize {
    if cap == 0 {
        return 0;
    }
    let mut deepest = 0;
    for selection in &set.items {
        let d = match selection {
            Selection::Field(f) => 1 + depth(&f.selection_set, fragments, visiting, cap - 1),
            Selection::InlineFragment(i) => depth(&i.selection_set, fragments, visiting, cap),
            Selection::FragmentSpread(s) => match fragments.get(s.fragment_name) {
                // A cycle is reported by juniper's validation; here it just stops the walk.
                Some(inner) if visiting.insert(s.fragment_name) => {
                    let d = depth(inner, fragments, visiting, cap);
                    visiting.remove(s.fragment_name);
                    d
                }
                _ => 0,
            },
        };
        deepest = deepest.max(d);
    }
    deepest
}

fn aliases<'a>(set: &SelectionSet<'a, &'a str>) -> usize {
    set.items
        .iter()
        .map(|selection| match selection {
            Selection::Field(f) => usize::from(f.alias.is_some()) + aliases(&f.selection_set),
            Selection::InlineFragment(i) => aliases(&i.selection_set),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

fn operation_parts<'a>(
    op: &'a OperationDefinition<'a, &'a str>,
) -> (
    Option<&'a str>,
    OperationKind,
    &'a SelectionSet<'a, &'a str>,
) {
    match op {
        OperationDefinition::SelectionSet(s) => (None, OperationKind::Query, s),
        OperationDefinition::Query(q) => (q.name, OperationKind::Query, &q.selection_set),
        OperationDefinition::Mutation(m) => (m.name, OperationKind::Mutation, &m.selection_set),
        OperationDefinition::Subscription(s) => {
            (s.name, OperationKind::Subscription, &s.selection_set)
        }
    }
}

/// Checks `query` against `limits` and returns the kind of the operation that would run.
/// A document that does not parse passes through (`Ok(None)`): juniper reports parse errors
/// with positions, better than we would.
pub fn check(
    query: &str,
    operation_name: Option<&str>,
    limits: Limits,
) -> Result<Option<OperationKind>, Error> {
    let Ok(document): Result<Document<'_, &str>, _> = parse_query::<&str>(query) else {
        return Ok(None);
    };
    let mut fragments: Fragments<'_> = HashMap::new();
    let mut alias_count = 0;
    for definition in &document.definitions {
        match definition {
            Definition::Fragment(f) => {
                fragments.insert(f.name, &f.selection_set);
                alias_count += aliases(&f.selection_set);
            }
            Definition::Operation(op) => alias_count += aliases(operation_parts(op).2),
        }
    }
    if alias_count > limits.max_aliases {
        return Err(Error::bad_input(format!(
            "the document uses {alias_count} aliases; at most {} are allowed",
            limits.max_aliases
        )));
    }
    let mut selected = None;
    for definition in &document.definitions {
        let Definition::Operation(op) = definition else {
            continue;
        };
        let (name, kind, set) = operation_parts(op);
        let d = depth(set, &fragments, &mut HashSet::new(), limits.max_depth + 1);
        if d > limits.max_depth {
            return Err(Error::bad_input(format!(
                "operation {} nests fields more than {} levels deep; at most {} levels are allowed",
                name.unwrap_or("(anonymous)"),
                limits.max_depth,
                limits.max_depth
            )));
        }
        if operation_name.is_none() || operation_name == name {
            selected = Some(kind);
        }
    }
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_depth: 4,
        max_aliases: 2,
    };

    #[test]
    fn depth_counts_fields_through_fragments() {
        assert_eq!(
            check(
                "{ user(id: \"u\") { images { nodes { url } } } }",
                None,
                LIMITS
            )
            .unwrap(),
            Some(OperationKind::Query)
        );
        let five = "{ user(id: \"u\") { images { nodes { owner { id } } } } }";
        assert!(
            check(five, None, LIMITS)
                .unwrap_err()
                .message()
                .contains("at most 4 levels")
        );
        let via_fragment = "query Q { user(id: \"u\") { ...F } } fragment F on User { images { nodes { owner { id } } } }";
        assert!(check(via_fragment, None, LIMITS).is_err());
        let cycle = "{ viewer { ...A } } fragment A on User { ...B } fragment B on User { ...A }";
        assert_eq!(
            check(cycle, None, LIMITS).unwrap(),
            Some(OperationKind::Query)
        );
    }

    #[test]
    fn aliases_are_counted_everywhere() {
        assert!(check("{ a: viewer { id } b: viewer { id } }", None, LIMITS).is_ok());
        let three =
            "{ a: viewer { id } b: viewer { id } ...F } fragment F on Query { c: viewer { id } }";
        assert!(
            check(three, None, LIMITS)
                .unwrap_err()
                .message()
                .contains("3 aliases")
        );
    }

    #[test]
    fn reports_the_selected_operation_kind() {
        let doc = "query A { viewer { id } } mutation B { addFriend(userId: \"x\") { id } }";
        assert_eq!(
            check(doc, Some("B"), LIMITS).unwrap(),
            Some(OperationKind::Mutation)
        );
        assert_eq!(
            check(doc, Some("A"), LIMITS).unwrap(),
            Some(OperationKind::Query)
        );
        assert_eq!(check("{ not closed", None, LIMITS).unwrap(), None);
    }
}
