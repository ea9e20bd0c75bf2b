//! Limits on a GraphQL document's shape, next to depth and complexity:
//! aliased fields (one field asked for many times under other names, which
//! would make one request do the work of many, a login guessed a hundred
//! times say) and fields at the root of an operation (each one its own call
//! to a service). Checked right after parsing, before anything runs.

use std::collections::HashMap;

use async_graphql::{
    ErrorExtensionValues, ServerError, ServerResult,
    parser::types::{ExecutableDocument, FragmentDefinition, Selection, SelectionSet},
};

/// The limits.
#[derive(Clone, Copy, Debug)]
pub struct ShapeLimits {
    /// Most aliased fields in the document, fragments expanded.
    pub max_aliases: usize,
    /// Most fields at the root of any one operation, fragments expanded.
    pub max_root_fields: usize,
}

impl ShapeLimits {
    /// Whether `document` keeps within the limits; if not, an error saying which.
    pub fn check(&self, document: &ExecutableDocument) -> ServerResult<()> {
        let shape = Shape::of(document);
        if shape.aliases > self.max_aliases {
            return Err(too_big(format!(
                "the document has {} aliased fields; at most {} are accepted",
                shape.aliases, self.max_aliases
            )));
        }
        if shape.root_fields > self.max_root_fields {
            return Err(too_big(format!(
                "an operation has {} root fields; at most {} are accepted",
                shape.root_fields, self.max_root_fields
            )));
        }
        Ok(())
    }
}

fn too_big(message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    error.extensions = Some(extensions);
    error
}

/// What the limits count in a document.
#[derive(Debug, Default, PartialEq, Eq)]
struct Shape {
    aliases: usize,
    /// The most of any one operation.
    root_fields: usize,
}

impl Shape {
    fn of(document: &ExecutableDocument) -> Self {
        let walker = Walker { fragments: document.fragments.iter().map(|(n, f)| (n.as_str(), &f.node)).collect() };
        let mut shape = Self::default();
        for (_, operation) in document.operations.iter() {
            let selections = &operation.node.selection_set.node;
            shape.root_fields = shape.root_fields.max(walker.fields(selections, &mut Vec::new()));
            shape.aliases += walker.aliases(selections, &mut Vec::new());
        }
        shape
    }
}

/// Walks selection sets with fragments expanded. A fragment that spreads
/// itself (which validation refuses later) is not followed twice.
struct Walker<'d> {
    fragments: HashMap<&'d str, &'d FragmentDefinition>,
}

impl<'d> Walker<'d> {
    /// The fields of `set` itself, through fragments.
    fn fields(&self, set: &'d SelectionSet, open: &mut Vec<&'d str>) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(inline) => self.fields(&inline.node.selection_set.node, open),
                Selection::FragmentSpread(spread) => {
                    self.through(spread.node.fragment_name.node.as_str(), open, |w, set, open| w.fields(set, open))
                }
            })
            .sum()
    }

    /// The aliased fields in `set` and below, through fragments.
    fn aliases(&self, set: &'d SelectionSet, open: &mut Vec<&'d str>) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + self.aliases(&field.node.selection_set.node, open)
                }
                Selection::InlineFragment(inline) => self.aliases(&inline.node.selection_set.node, open),
                Selection::FragmentSpread(spread) => {
                    self.through(spread.node.fragment_name.node.as_str(), open, |w, set, open| w.aliases(set, open))
                }
            })
            .sum()
    }

    fn through(
        &self,
        name: &'d str,
        open: &mut Vec<&'d str>,
        count: impl Fn(&Self, &'d SelectionSet, &mut Vec<&'d str>) -> usize,
    ) -> usize {
        let Some(fragment) = self.fragments.get(name).filter(|_| !open.contains(&name)) else { return 0 };
        open.push(name);
        let counted = count(self, &fragment.selection_set.node, open);
        open.pop();
        counted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(query: &str) -> Shape {
        Shape::of(&async_graphql::parser::parse_query(query).unwrap())
    }

    #[test]
    fn aliases_and_root_fields_are_counted_through_fragments() {
        assert_eq!(shape("{ me { id } products { totalCount } }"), Shape { aliases: 0, root_fields: 2 });
        let query = "query { a: me { id } ...Twice ... on Query { c: me { n: name } } }
                     fragment Twice on Query { b: me { id } d: categories }";
        assert_eq!(shape(query), Shape { aliases: 5, root_fields: 4 });
    }

    #[test]
    fn a_fragment_that_spreads_itself_is_counted_once() {
        let query = "{ ...Loop } fragment Loop on Query { x: me { id } ...Loop }";
        assert_eq!(shape(query), Shape { aliases: 1, root_fields: 1 });
    }

    #[test]
    fn the_largest_operation_sets_the_root_count() {
        let query = "query One { me { id } } query Three { me { id } categories products { totalCount } }";
        assert_eq!(shape(query).root_fields, 3);
    }
}
