#!/usr/bin/env bash
# Refreshes the vendored browser builds in edge/assets/vendor from the npm
# registry (`make vendor-assets`). The edge embeds them, so GraphiQL and the
# REST reference work without the internet. Bump a version here, run this,
# and commit what changed: the files, their licences and VENDORED.txt.
set -euo pipefail
cd "$(dirname "$0")"

# package@version  file-in-package  name-in-vendor/
PINNED=(
  "react@18.3.1            umd/react.production.min.js        react.production.min.js"
  "react@18.3.1            LICENSE                            react.LICENSE"
  "react-dom@18.3.1        umd/react-dom.production.min.js    react-dom.production.min.js"
  "react-dom@18.3.1        LICENSE                            react-dom.LICENSE"
  "graphiql@4.1.2          graphiql.min.js                    graphiql.min.js"
  "graphiql@4.1.2          graphiql.min.css                   graphiql.min.css"
  "graphiql@4.1.2          LICENSE                            graphiql.LICENSE"
  "swagger-ui-dist@5.35.0  swagger-ui-bundle.js               swagger-ui-bundle.js"
  "swagger-ui-dist@5.35.0  swagger-ui-bundle.js.LICENSE.txt   swagger-ui-bundle.js.LICENSE.txt"
  "swagger-ui-dist@5.35.0  swagger-ui.css                     swagger-ui.css"
  "swagger-ui-dist@5.35.0  LICENSE                            swagger-ui.LICENSE"
  "swagger-ui-dist@5.35.0  NOTICE                             swagger-ui.NOTICE"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf vendor && mkdir vendor
{
  echo "# Vendored from the npm registry by edge/assets/vendor.sh; do not edit."
  echo "# package@version sha512-integrity-of-the-tarball"
} > vendor/VENDORED.txt

for package in $(printf '%s\n' "${PINNED[@]}" | awk '{print $1}' | sort -u); do
  mkdir -p "$work/$package"
  (cd "$work/$package" && npm pack --silent "$package" > /dev/null && tar xzf ./*.tgz)
  echo "$package $(npm view "$package" dist.integrity)" >> vendor/VENDORED.txt
done
for line in "${PINNED[@]}"; do
  read -r package file name <<< "$line"
  cp "$work/$package/package/$file" "vendor/$name"
done
ls -l vendor
