//! What an operation may cost, known before it runs.
//!
//! Every field costs 1. A field with a `first` argument (a page) may return `first` items, so
//! what is selected below it counts `first` times; pages inside pages multiply. `first` is the
//! literal in the document, or the request's variable, or (missing or null) the argument's
//! default in the schema. For `user { images(first: 50) { nodes { id url } } }` that is
//! 1 + 1 + 50 × (1 + 2) = 152.
//!
//! The walk happens once per document: it yields a [`Plan`], a list of selection sets in which
//! each set refers only to sets before it, so the cost for a request's variables is one pass
//! over that list. A fragment is one set however many times it is spread, which keeps both the
//! walk and the pass linear in the size of the document.

use std::collections::{HashMap, HashSet};

use juniper::meta::{Field, MetaType};
use juniper::{
    DefaultScalarValue, Definition, InputValue, Operation, SchemaType, Selection, Spanning,
    Variables,
};

use super::types::MAX_PAGE;

/// The argument that sizes a page.
const PAGE_ARGUMENT: &str = "first";

/// How many times the selections below a field count.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Multiplier {
    /// Not a page.
    One,
    /// A page of a size known from the document.
    Fixed(u64),
    /// A page sized by a variable; `fallback` when the request does not set it (or sets null).
    Variable { name: Box<str>, fallback: u64 },
}

/// One selection set: its own fields, and the sets below it with their multipliers. Children
/// always have smaller indices than their parent.
#[derive(Debug, Default)]
struct Set {
    fields: u64,
    children: Vec<(Multiplier, usize)>,
}

/// The cost of one operation, for any variables.
#[derive(Debug)]
pub struct Plan {
    sets: Vec<Set>,
    /// The cost when no page is sized by a variable.
    fixed: Option<u64>,
}

impl Plan {
    /// The plan of `operation` in `document`, typed by `schema`. Fields the schema does not know
    /// count 1 and multiply nothing (validation refuses them later).
    pub fn new(
        document: &[Definition<'_, DefaultScalarValue>],
        operation: &Operation<'_, DefaultScalarValue>,
        schema: &SchemaType<DefaultScalarValue>,
    ) -> Plan {
        let mut builder = Builder {
            schema,
            fragments: document
                .iter()
                .filter_map(|definition| match definition {
                    Definition::Fragment(f) => Some((f.item.name.item, f)),
                    Definition::Operation(_) => None,
                })
                .map(|(name, f)| {
                    (
                        name,
                        (f.item.type_condition.item, &f.item.selection_set[..]),
                    )
                })
                .collect(),
            variable_defaults: operation
                .variables_definition
                .iter()
                .flat_map(|d| d.item.iter())
                .filter_map(|(name, d)| {
                    let value = int(&d.default_value.as_ref()?.item)?;
                    Some((name.item, value))
                })
                .collect(),
            known_fragments: HashMap::new(),
            open: HashSet::new(),
            sets: Vec::new(),
        };
        let root = match operation.operation_type {
            juniper::OperationType::Query => Some(schema.concrete_query_type()),
            juniper::OperationType::Mutation => schema.concrete_mutation_type(),
            juniper::OperationType::Subscription => schema.concrete_subscription_type(),
        };
        builder.set(&operation.selection_set, root);
        let mut plan = Plan {
            sets: builder.sets,
            fixed: None,
        };
        let variable = plan.sets.iter().any(|s| {
            s.children
                .iter()
                .any(|(m, _)| matches!(m, Multiplier::Variable { .. }))
        });
        if !variable {
            plan.fixed = Some(plan.evaluate(|_| None));
        }
        plan
    }

    /// The cost with this request's variables.
    pub fn cost(&self, variables: &Variables) -> u64 {
        if let Some(fixed) = self.fixed {
            return fixed;
        }
        self.evaluate(|name| variables.get(name).and_then(int))
    }

    /// The least the operation can cost, whatever its variables: over the budget here means over
    /// it for every request.
    pub fn least(&self) -> u64 {
        self.fixed.unwrap_or_else(|| self.evaluate(|_| Some(0)))
    }

    fn evaluate(&self, variable: impl Fn(&str) -> Option<u64>) -> u64 {
        let mut costs: Vec<u64> = Vec::with_capacity(self.sets.len());
        for set in &self.sets {
            let mut cost = set.fields;
            for (multiplier, child) in &set.children {
                let times = match multiplier {
                    Multiplier::One => 1,
                    Multiplier::Fixed(n) => *n,
                    Multiplier::Variable { name, fallback } => variable(name).unwrap_or(*fallback),
                };
                let below = costs.get(*child).copied().unwrap_or(0);
                cost = cost.saturating_add(times.saturating_mul(below));
            }
            costs.push(cost);
        }
        costs.last().copied().unwrap_or(0)
    }
}

/// A non-negative Int literal; anything else is left to validation and coercion to refuse.
fn int(value: &InputValue) -> Option<u64> {
    match value {
        InputValue::Scalar(DefaultScalarValue::Int(n)) => Some(u64::try_from(*n).unwrap_or(0)),
        _ => None,
    }
}

struct Builder<'a, 'd, 's> {
    schema: &'s SchemaType<DefaultScalarValue>,
    fragments: HashMap<&'a str, (&'a str, &'d [Selection<'a, DefaultScalarValue>])>,
    variable_defaults: HashMap<&'a str, u64>,
    known_fragments: HashMap<&'a str, usize>,
    /// Fragments being walked; a spread of one of them is a cycle (validation refuses it).
    open: HashSet<&'a str>,
    sets: Vec<Set>,
}

impl<'a, 'd, 's> Builder<'a, 'd, 's> {
    /// Recursion is bounded by juniper's parser, which refuses documents nested more than 64
    /// levels deep, fragment spreads included.
    fn set(
        &mut self,
        selections: &'d [Selection<'a, DefaultScalarValue>],
        parent: Option<&'s MetaType<DefaultScalarValue>>,
    ) -> usize {
        let mut set = Set::default();
        for selection in selections {
            match selection {
                Selection::Field(field) => {
                    set.fields += 1;
                    let Some(below) = &field.item.selection_set else {
                        continue;
                    };
                    let meta = parent.and_then(|t| t.field_by_name(field.item.name.item));
                    let child_type = meta.and_then(|m| {
                        self.schema
                            .concrete_type_by_name(m.field_type.innermost_name())
                    });
                    let multiplier = meta.map_or(Multiplier::One, |m| {
                        self.multiplier(m, field.item.arguments.as_ref().map(|a| &a.item.items[..]))
                    });
                    let child = self.set(below, child_type);
                    set.children.push((multiplier, child));
                }
                Selection::InlineFragment(inline) => {
                    let on = match &inline.item.type_condition {
                        Some(name) => self.schema.concrete_type_by_name(name.item),
                        None => parent,
                    };
                    let child = self.set(&inline.item.selection_set, on);
                    set.children.push((Multiplier::One, child));
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(child) = self.fragment(spread.item.name.item) {
                        set.children.push((Multiplier::One, child));
                    }
                }
            }
        }
        self.sets.push(set);
        self.sets.len() - 1
    }

    fn fragment(&mut self, name: &'a str) -> Option<usize> {
        if let Some(&known) = self.known_fragments.get(name) {
            return Some(known);
        }
        let &(on, selections) = self.fragments.get(name)?;
        if !self.open.insert(name) {
            return None;
        }
        let on = self.schema.concrete_type_by_name(on);
        let set = self.set(selections, on);
        self.open.remove(name);
        self.known_fragments.insert(name, set);
        Some(set)
    }

    fn multiplier(
        &self,
        field: &Field<DefaultScalarValue>,
        arguments: Option<&[(Spanning<&'a str>, Spanning<InputValue>)]>,
    ) -> Multiplier {
        let Some(page) = field
            .arguments
            .iter()
            .flatten()
            .find(|a| a.name == PAGE_ARGUMENT)
        else {
            return Multiplier::One;
        };
        // A page without a default could be anything up to the largest page served.
        let default = page
            .default_value
            .as_ref()
            .and_then(int)
            .unwrap_or(u64::from(MAX_PAGE.unsigned_abs()));
        let given = arguments
            .into_iter()
            .flatten()
            .find(|(name, _)| name.item == PAGE_ARGUMENT);
        match given.map(|(_, v)| &v.item) {
            Some(InputValue::Variable(name)) => Multiplier::Variable {
                fallback: self
                    .variable_defaults
                    .get(name.as_str())
                    .copied()
                    .unwrap_or(default),
                name: name.as_str().into(),
            },
            Some(value) => Multiplier::Fixed(int(value).unwrap_or(default)),
            None => Multiplier::Fixed(default),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(query: &str) -> Plan {
        let schema = crate::graphql::schema(true);
        let document = juniper::parser::parse_document_source(query, &schema.schema)
            .expect("test documents parse");
        let operation = document
            .iter()
            .find_map(|d| match d {
                Definition::Operation(op) => Some(&op.item),
                Definition::Fragment(_) => None,
            })
            .expect("an operation");
        Plan::new(&document, operation, &schema.schema)
    }

    fn vars(pairs: &[(&str, i32)]) -> Variables {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), InputValue::scalar(*v)))
            .collect()
    }

    #[test]
    fn fields_count_once_and_pages_multiply_what_is_below_them() {
        let none = Variables::new();
        assert_eq!(plan("{ viewer { id username } }").cost(&none), 3);
        let gallery = "{ user(id: \"u\") { images(first: 50) { nodes { id url } } } }";
        assert_eq!(plan(gallery).cost(&none), 1 + 1 + 50 * 3);
        // The schema's default page is 20.
        let default = "{ user(id: \"u\") { images { nodes { id } } } }";
        assert_eq!(plan(default).cost(&none), 1 + 1 + 20 * 2);
        let nested = "{ user(id: \"u\") { images(first: 10) { nodes { owner { images(first: 10) { nodes { id } } } } } } }";
        // images(10) · [nodes, owner, images(10) · [nodes, id]]
        assert_eq!(plan(nested).cost(&none), 1 + 1 + 10 * (1 + 1 + 1 + 10 * 2));
        // A negative page is refused by the resolver; it costs nothing here.
        let negative = "{ user(id: \"u\") { images(first: -5) { nodes { id } } } }";
        assert_eq!(plan(negative).cost(&none), 2);
    }

    #[test]
    fn variables_size_pages_per_request() {
        let q = "query($n: Int, $m: Int = 3) { user(id: \"u\") { a: images(first: $n) { nodes { id } } b: images(first: $m) { nodes { id } } } }";
        let p = plan(q);
        assert_eq!(p.cost(&vars(&[("n", 7), ("m", 1)])), 1 + 2 + 7 * 2 + 2);
        // $n unset: the argument's default (20); $m unset: the variable's default (3).
        assert_eq!(p.cost(&Variables::new()), 1 + 2 + 20 * 2 + 3 * 2);
        let null: Variables = [("n".to_owned(), InputValue::Null)].into_iter().collect();
        assert_eq!(p.cost(&null), 1 + 2 + 20 * 2 + 3 * 2);
        assert_eq!(p.least(), 3);
        assert_eq!(
            p.cost(&vars(&[("n", i32::MAX), ("m", i32::MAX)])),
            3 + 2 * 2 * u64::from(i32::MAX.unsigned_abs())
        );
    }

    #[test]
    fn fragments_cost_their_expansion_and_are_walked_once() {
        let none = Variables::new();
        // 2^13 fields expanded: within juniper's own limit of 15,000.
        let mut q = String::from("query Q { ...F12 } fragment F0 on Query { viewer { id } }");
        for i in 1..=12 {
            q.push_str(&format!(
                " fragment F{i} on Query {{ ...F{} ...F{} }}",
                i - 1,
                i - 1
            ));
        }
        let p = plan(&q);
        assert_eq!(p.sets.len(), 1 + 1 + 13, "one set per fragment");
        assert_eq!(p.cost(&none), 1 << 13);
        let typed = "{ image(id: \"x\") { ...I ... on Image { owner { images(first: 2) { nodes { id } } } } } } fragment I on Image { owner { images(first: 3) { nodes { id } } } }";
        assert_eq!(
            plan(typed).cost(&none),
            1 + (1 + 1 + 3 * 2) + (1 + 1 + 2 * 2)
        );
        let cycle =
            "{ viewer { ...A } } fragment A on User { id ...B } fragment B on User { ...A }";
        assert_eq!(plan(cycle).cost(&none), 2);
    }
}
