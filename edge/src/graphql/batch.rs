//! The body of a GraphQL POST: one operation, or a batch of them as a JSON
//! array. Read through [`crate::json`] like every body, so that a bad
//! one is a 400 naming the field (`[1].query`, say).

use std::fmt;

use async_graphql::{BatchRequest, Request};
use serde::{
    Deserialize, Deserializer,
    de::{MapAccess, SeqAccess, Visitor, value::MapAccessDeserializer},
};

/// One operation or a batch.
#[derive(Debug)]
pub struct Operations(pub BatchRequest);

impl Operations {
    /// How many operations there are.
    pub fn len(&self) -> usize {
        self.0.iter().count()
    }
}

impl<'de> Deserialize<'de> for Operations {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OperationsVisitor).map(Operations)
    }
}

struct OperationsVisitor;

impl<'de> Visitor<'de> for OperationsVisitor {
    type Value = BatchRequest;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GraphQL request object, or an array of them")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Request::deserialize(MapAccessDeserializer::new(map)).map(BatchRequest::Single)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut requests = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
        while let Some(request) = seq.next_element::<Request>()? {
            requests.push(request);
        }
        Ok(BatchRequest::Batch(requests))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn one_operation_or_an_array_of_them() {
        let one: Operations = parse(br#"{"query": "{ me { id } }"}"#).unwrap();
        assert!(matches!(one.0, BatchRequest::Single(_)));
        let two: Operations = parse(br#"[{"query": "{ a }"}, {"query": "{ b }"}]"#).unwrap();
        assert_eq!(two.len(), 2);
    }

    #[test]
    fn a_bad_operation_in_a_batch_is_named_by_its_place() {
        let error = parse::<Operations>(br#"[{"query": "{ a }"}, {"query": 7}]"#).unwrap_err();
        assert_eq!(error.violations()[0].field, "[1].query", "{error:?}");
        let error = parse::<Operations>(b"42").unwrap_err();
        assert_eq!(error.violations()[0].field, "body", "{error:?}");
    }
}
