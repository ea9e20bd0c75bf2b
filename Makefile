# Everyday commands. Each is one plain cargo (or tool) invocation; see README.md.

PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run run-dev test test-postgres ci fmt lint graphql-schema proto-lint build

run:            ## start the whole mesh (release build)
	cargo run --release --bin shop

run-dev:        ## start the whole mesh (debug build, faster to compile)
	cargo run --bin shop

test:           ## every test, on SQLite
	cargo test --workspace

test-postgres:  ## every test, on SQLite and on PostgreSQL ($(PG_URL))
	SHOP_TEST_POSTGRES_URL=$(PG_URL) cargo test --workspace

ci:             ## what CI runs
	bash .ci/run

fmt:            ## format the code
	cargo fmt --all

lint:           ## formatting check and clippy, warnings as errors
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

graphql-schema: ## regenerate edge/schema.graphql from the code
	cargo run -q -p shop-edge --example graphql-sdl > edge/schema.graphql

proto-lint:     ## buf lint of the contracts (buf from the npm registry)
	cd proto && npx --yes @bufbuild/buf lint

build:          ## release binaries: shop and one per service and the edge
	cargo build --release --bins
