# Everyday commands. Each is one plain cargo (or tool) invocation; see README.md.

PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run run-dev test test-postgres test-deploy chaos bench bench-postgres bench-compare link-order link-order-check rest-contract bench-dist ci fmt lint graphql-schema proto-lint build \
	image compose-up compose-config k8s-secrets k8s-render k8s-validate vendor-assets

run:            ## start the whole mesh (release build)
	cargo run --release --bin shop

run-dev:        ## start the whole mesh (debug build, faster to compile)
	cargo run --bin shop

test:           ## every test, on SQLite
	cargo test --workspace

test-postgres:  ## every test, on SQLite and on PostgreSQL ($(PG_URL))
	SHOP_TEST_POSTGRES_URL=$(PG_URL) cargo test --workspace

chaos:          ## the fault matrix, a longer profile than CI's (5 rounds, 8 customers; SQLite, and PostgreSQL at $(PG_URL))
	SHOP_TEST_POSTGRES_URL=$(PG_URL) CHAOS_ROUNDS=5 CHAOS_CUSTOMERS=8 cargo test -p shop --test chaos -- --nocapture --test-threads 1

bench:          ## the standard load profile on a mesh of its own (release build, SQLite): one table, ratios, CPU per operation, RSS
	cargo build --release --bin shop --bin shop-loadgen
	target/release/shop-loadgen bench

bench-dist:     ## the same with the binary the image ships (the `dist` profile: the release build, stripped)
	cargo build --release --bin shop-loadgen
	cargo build --profile dist --bin shop
	target/release/shop-loadgen bench --shop target/dist/shop --out target/bench-dist

bench-postgres: ## the same on PostgreSQL at $(PG_URL) (fresh databases, dropped afterwards)
	cargo build --release --bin shop --bin shop-loadgen
	target/release/shop-loadgen bench --postgres $(PG_URL)

bench-compare:  ## this build against BEFORE (a copy of an earlier target/release/shop), two meshes side by side, alternating rounds
	@test -n "$(BEFORE)" || { echo "usage: make bench-compare BEFORE=<the shop binary to compare with>"; exit 2; }
	cargo build --release --bin shop --bin shop-loadgen
	target/release/shop-loadgen bench --against $(BEFORE) --out target/bench-compare

link-order:     ## write services/shop/link-order.txt afresh: the functions the mesh runs on SQLite and on PostgreSQL at $(PG_URL), which a release build links first (needs valgrind and psql; a few minutes)
	cargo build --release --bin shop --bin shop-loadgen
	LINK_ORDER_POSTGRES_URL=$(PG_URL) bash services/shop/link-order.sh target/release/shop target/release/shop-loadgen > services/shop/link-order.tmp
	mv services/shop/link-order.tmp services/shop/link-order.txt

link-order-check: ## how many of link-order.txt's functions the release build has (fails below 90%: run make link-order)
	cargo build --release --bin shop --bin shop-loadgen
	bash services/shop/link-order.sh --check target/release/shop

rest-contract:  ## schemathesis against the REST API, longer than CI's run, on SQLite and PostgreSQL at $(PG_URL) (tools as for test-deploy)
	bash .ci/deploy-tools
	SHOP_TEST_POSTGRES_URL=$(PG_URL) SCHEMATHESIS_MAX_EXAMPLES=200 cargo test -p shop --features deploy-tests --test deploy -- rest_contract --nocapture

test-deploy:    ## the deployment tests: installs the tools they drive (chromium, kubectl, grpcurl, ...; needs root)
	bash .ci/deploy-tools
	cargo test -p shop --features deploy-tests --test deploy -- --nocapture

ci:             ## what CI runs
	bash .ci/run

fmt:            ## format the code
	cargo fmt --all

lint:           ## formatting check and clippy, warnings as errors
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --all-features -- -D warnings

graphql-schema: ## regenerate edge/schema.graphql from the code
	cargo run -q -p shop-edge --example graphql-sdl > edge/schema.graphql

proto-lint:     ## buf lint of the contracts (buf from the npm registry)
	cd proto && npx --yes @bufbuild/buf lint

build:          ## release binaries: shop and one per service and the edge
	cargo build --release --bins

image:          ## the container image, shop-mesh:dev (needs Docker)
	docker build -t shop-mesh:dev .

compose-up:     ## the mesh on PostgreSQL with Jaeger (needs Docker)
	docker compose up --build

compose-config: ## validate docker-compose.yml
	docker-compose config --quiet

k8s-secrets:    ## generate the dev overlay's secrets into k8s/overlays/dev/secrets (kept if present)
	cargo run -q --bin shop -- generate-secrets --dir k8s/overlays/dev/secrets

k8s-render: k8s-secrets ## print the dev overlay as kubectl applies it
	kubectl kustomize k8s/overlays/dev

k8s-validate: k8s-secrets ## render both overlays and validate them against Kubernetes 1.30, strictly
	kubectl kustomize k8s/overlays/dev > target/k8s-dev.yaml
	kubectl kustomize k8s/overlays/prod > target/k8s-prod.yaml
	kubernetes-validate --kubernetes-version 1.30 --strict --quiet target/k8s-dev.yaml target/k8s-prod.yaml

vendor-assets:  ## refresh GraphiQL, React and Swagger UI in edge/assets/vendor from npm
	bash edge/assets/vendor.sh
