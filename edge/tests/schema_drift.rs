//! The committed SDL is what the code serves.

#[test]
fn committed_graphql_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).expect("edge/schema.graphql is committed");
    assert!(
        committed == shop_edge::graphql::sdl(),
        "edge/schema.graphql is out of date: run `make graphql-schema` and commit the result"
    );
}
