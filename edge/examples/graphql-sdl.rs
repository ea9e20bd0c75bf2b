//! Prints the GraphQL schema (SDL). `make graphql-schema` writes it to
//! `edge/schema.graphql`, which a test keeps in step with the code.

fn main() {
    print!("{}", shop_edge::graphql::sdl());
}
