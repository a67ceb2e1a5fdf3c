//! A list that juniper resolves synchronously when the client asks only for synchronous fields.
//!
//! juniper's async executor gives every item of a list, and every field of every item, a boxed
//! future of its own, even when the resolver is a plain `fn`. For a gallery of 50 images that
//! was about a third of the request. The items' fields that do no I/O are listed in
//! [`SyncFields`]; when a selection asks for nothing else, the list is resolved with juniper's
//! synchronous resolver, which builds the same values and reports errors the same way. Any other
//! field (an async one such as `owner`, or one added later and not listed) takes the async path,
//! so an incomplete list costs speed, never a wrong answer or juniper's panic on an async field.

use juniper::marker::IsOutputType;
use juniper::meta::MetaType;
use juniper::{
    ArcStr, BoxFuture, ExecutionResult, Executor, GraphQLType, GraphQLValue, GraphQLValueAsync,
    Registry, ScalarValue, Selection,
};

/// The fields of a type that resolve without awaiting anything (no I/O).
pub trait SyncFields {
    /// Their GraphQL names, as a client writes them.
    const SYNC_FIELDS: &'static [&'static str];
}

/// A `[T!]!` list, resolved synchronously when the selection allows it.
#[derive(Debug)]
pub struct SyncList<T>(pub Vec<T>);

/// Whether every field `selection` asks for, through fragments too, is one of `fields`.
fn only_sync_fields<C, S: ScalarValue>(
    selection: &[Selection<'_, S>],
    fields: &[&str],
    executor: &Executor<'_, '_, C, S>,
) -> bool {
    selection.iter().all(|s| match s {
        Selection::Field(f) => {
            let name = f.item.name.item;
            name == "__typename" || fields.contains(&name)
        }
        Selection::InlineFragment(f) => only_sync_fields(&f.item.selection_set, fields, executor),
        Selection::FragmentSpread(spread) => executor
            .fragment_by_name(spread.item.name.item)
            .is_some_and(|f| only_sync_fields(&f.selection_set, fields, executor)),
    })
}

impl<S, T> GraphQLType<S> for SyncList<T>
where
    T: GraphQLType<S>,
    S: ScalarValue,
{
    fn name(_: &Self::TypeInfo) -> Option<ArcStr> {
        None
    }

    fn meta(info: &Self::TypeInfo, registry: &mut Registry<S>) -> MetaType<S> {
        registry.build_list_type::<T>(info, None).into_meta()
    }
}

impl<S, T> GraphQLValue<S> for SyncList<T>
where
    T: GraphQLValue<S>,
    S: ScalarValue,
{
    type Context = T::Context;
    type TypeInfo = T::TypeInfo;

    fn type_name(&self, _: &Self::TypeInfo) -> Option<ArcStr> {
        None
    }

    fn resolve(
        &self,
        info: &Self::TypeInfo,
        selection_set: Option<&[Selection<'_, S>]>,
        executor: &Executor<'_, '_, Self::Context, S>,
    ) -> ExecutionResult<S> {
        self.0.resolve(info, selection_set, executor)
    }
}

impl<S, T> GraphQLValueAsync<S> for SyncList<T>
where
    T: GraphQLValueAsync<S> + SyncFields,
    T::TypeInfo: Sync,
    T::Context: Sync,
    S: ScalarValue + Send + Sync,
{
    fn resolve_async<'a>(
        &'a self,
        info: &'a Self::TypeInfo,
        selection_set: Option<&'a [Selection<'_, S>]>,
        executor: &'a Executor<'_, '_, Self::Context, S>,
    ) -> BoxFuture<'a, ExecutionResult<S>> {
        match selection_set {
            Some(selection) if only_sync_fields(selection, T::SYNC_FIELDS, executor) => Box::pin(
                std::future::ready(self.0.resolve(info, selection_set, executor)),
            ),
            _ => self.0.resolve_async(info, selection_set, executor),
        }
    }
}

impl<S, T> IsOutputType<S> for SyncList<T>
where
    T: IsOutputType<S>,
    S: ScalarValue,
{
    fn mark() {
        T::mark()
    }
}

// juniper's derive checks field types at compile time through these (as it does for `Vec<T>`).
impl<S, T: juniper::macros::reflect::BaseType<S>> juniper::macros::reflect::BaseType<S>
    for SyncList<T>
{
    const NAME: juniper::macros::reflect::Type = T::NAME;
}

impl<S, T: juniper::macros::reflect::BaseSubTypes<S>> juniper::macros::reflect::BaseSubTypes<S>
    for SyncList<T>
{
    const NAMES: juniper::macros::reflect::Types = T::NAMES;
}

impl<S, T: juniper::macros::reflect::WrappedType<S>> juniper::macros::reflect::WrappedType<S>
    for SyncList<T>
{
    const VALUE: juniper::macros::reflect::WrappedValue =
        <Vec<T> as juniper::macros::reflect::WrappedType<S>>::VALUE;
}
