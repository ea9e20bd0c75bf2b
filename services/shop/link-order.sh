#!/usr/bin/env bash
# Writes the functions the mesh runs, one symbol a line, to stdout: the
# order `build.rs` hands the linker for a release build (`make link-order`).
#
# It runs the whole mesh of `$1` (a release `shop`) under callgrind, which
# records every function each process runs, drives each scenario of `$2`
# (`shop-loadgen`) through it for a few seconds, lets it idle, and stops it,
# so that start-up, the load's paths, the background loops and shutdown are
# all counted. With `LINK_ORDER_POSTGRES_URL` set (`make link-order` sets it
# to `PG_URL`), it does the same on PostgreSQL, in databases of its own that
# it drops afterwards with psql, so that the code of both backends is
# counted. Functions run by more components come first; within that, those
# of one set of components together. Needs valgrind and nm.
#
#   bash services/shop/link-order.sh target/release/shop target/release/shop-loadgen > services/shop/link-order.txt
#
# With `--check <shop>` it says how many of the file's functions that build
# has (`make link-order-check`), and fails below nine in ten: names carry a
# hash of their crate's build, so an upgrade leaves some behind.
set -euo pipefail

# The functions defined in a binary's own code (none of libc's), sorted.
defined_functions() {
  nm --defined-only "$1" | awk '$2 ~ /^[tTwW]$/ { print $3 }' | sort -u
}

if [ "${1:-}" = "--check" ]; then
  order="$(dirname "$0")/link-order.txt"
  total=$(wc -l <"$order")
  found=$(defined_functions "$2" | comm -12 - <(sort -u "$order") | wc -l)
  echo "$order: $found of $total functions are in $2"
  [ $((found * 10)) -ge $((total * 9)) ] || { echo "stale: run make link-order" >&2; exit 1; }
  exit 0
fi

shop=$(realpath "$1")
loadgen=$(realpath "$2")
work=$(mktemp -d)
mesh=
trap '[ -n "$mesh" ] && kill -TERM "$mesh" 2>/dev/null; rm -rf "$work"' EXIT

# Ports below the ephemeral range; a mesh of the bench's own is above 18000.
edge=21080
export SHOP_EDGE_PORT=$edge SHOP_USERS_PORT=21051 SHOP_PRODUCTS_PORT=21052 \
  SHOP_CART_PORT=21053 SHOP_ORDERS_PORT=21054 SHOP_PAYMENTS_PORT=21055 SHOP_NOTIFICATIONS_PORT=21056 \
  SHOP_ADMIN_EMAIL=admin@example.com SHOP_ADMIN_PASSWORD=link-order-admin \
  REGISTRATIONS_PER_HOUR_PER_ADDRESS=0 LOGIN_ATTEMPTS_PER_MINUTE=0 LOGIN_ATTEMPTS_PER_MINUTE_PER_ADDRESS=0

# One mesh under callgrind, through the load, idle, and stopped; its
# profiles go to "$work/$1".
profile_mesh() {
  mkdir -p "$work/$1"
  SHOP_DATA_DIR="$work/$1/data" valgrind --tool=callgrind --trace-children=yes --demangle=no \
    --compress-strings=no --compress-pos=no --callgrind-out-file="$work/$1/callgrind.%p" "$shop" \
    >"$work/$1/mesh.log" 2>&1 </dev/null &
  mesh=$!
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$edge/readyz" >/dev/null && break
    kill -0 "$mesh" 2>/dev/null || { cat "$work/$1/mesh.log" >&2; exit 1; }
    sleep 0.5
  done
  curl -sf "http://127.0.0.1:$edge/readyz" >/dev/null || { echo "the mesh never got ready" >&2; exit 1; }
  for scenario in storefront browse rest-page graphql-page product cart checkout grpc-page; do
    "$loadgen" run --scenario "$scenario" --users 4 --increase-rate 4 --run-time 8 \
      --host "http://127.0.0.1:$edge" --products-url http://127.0.0.1:21052 >"$work/$1/$scenario.log" 2>&1 \
      || { echo "scenario $scenario failed:" >&2; tail -20 "$work/$1/$scenario.log" >&2; exit 1; }
  done
  curl -sf "http://127.0.0.1:$edge/metrics" >/dev/null || true
  # Recovery, outbox relays, checkpoints and mail rounds run while idle.
  sleep 15
  kill -TERM "$mesh"
  wait "$mesh" || true
  mesh=
}

profile_mesh sqlite
if [ -n "${LINK_ORDER_POSTGRES_URL:-}" ]; then
  prefix="link_order_$$_"
  SHOP_POSTGRES_URL="$LINK_ORDER_POSTGRES_URL" SHOP_POSTGRES_DATABASE_PREFIX="$prefix" profile_mesh postgres
  for database in $(psql "$LINK_ORDER_POSTGRES_URL" -Atc "select datname from pg_database where datname like '${prefix}%'"); do
    psql "$LINK_ORDER_POSTGRES_URL" -qc "drop database \"$database\"" >/dev/null
  done
fi

defined_functions "$shop" >"$work/defined"
for profile in "$work"/*/callgrind.*; do
  awk -v shop="$shop" '
    /^cmd:/ { component = ($(NF - 1) == "serve") ? $NF : "launcher" }
    /^ob=/ { object = substr($0, 4) }
    /^fn=/ && object == shop { name = substr($0, 4); sub(/\047.*/, "", name); print name "\t" component }
  ' "$profile" | sort -u
done | sort -t $'\t' -k1,1 -k2,2 | awk -F '\t' '
  $1 != name { if (name != "") print count "\t" components "\t" name; name = $1; count = 0; components = "" }
  { count++; components = components " " $2 }
  END { if (name != "") print count "\t" components "\t" name }
' | sort -t $'\t' -k1,1nr -k2,2 -k3,3 | cut -f3 | awk 'NR == FNR { defined[$0] = 1; next } defined[$0]' "$work/defined" -
