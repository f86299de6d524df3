#!/usr/bin/env bash
# Vendor GOV.UK Frontend into desist/static/govuk/.
#
# The service is not hosted on gov.uk, so the CSS is compiled from Sass to use
# plain Arial (no "GDS Transport" @font-face, no font files are shipped) and to
# load images from /static/govuk/assets/images/.
#
# Re-runnable: everything is fetched from the npm registry into a temp dir and
# the outputs under desist/static/govuk/ are replaced wholesale.
#
# Usage: scripts/vendor-govuk.sh
#   GOVUK_ASSETS_PATH  override the URL prefix for assets
#                      (default /static/govuk/assets/, must end in "/";
#                      change it if STATIC_URL is not /static/)
set -euo pipefail

GOVUK_FRONTEND_VERSION="5.14.0"
SASS_VERSION="1.108.2"
ASSETS_PATH="${GOVUK_ASSETS_PATH:-/static/govuk/assets/}"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$REPO_ROOT/desist/static/govuk"

command -v npm >/dev/null || { echo "npm is required" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "==> Installing govuk-frontend@$GOVUK_FRONTEND_VERSION and sass@$SASS_VERSION in $WORK"
cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --save-exact --loglevel=error \
  "govuk-frontend@$GOVUK_FRONTEND_VERSION" "sass@$SASS_VERSION" >/dev/null

PKG="$WORK/node_modules/govuk-frontend"
DIST="$PKG/dist/govuk"
INSTALLED_VERSION="$(node -p "require('$PKG/package.json').version")"
if [[ "$INSTALLED_VERSION" != "$GOVUK_FRONTEND_VERSION" ]]; then
  echo "Expected govuk-frontend $GOVUK_FRONTEND_VERSION, got $INSTALLED_VERSION" >&2
  exit 1
fi

cat > "$WORK/govuk.scss" <<SCSS
// Settings must come before govuk-frontend is imported.
\$govuk-font-family: arial, sans-serif;
\$govuk-include-default-font-face: false;
\$govuk-assets-path: "$ASSETS_PATH";
\$govuk-images-path: "${ASSETS_PATH}images/";

@import "govuk-frontend/dist/govuk/index";
SCSS

echo "==> Compiling CSS"
STAGE="$WORK/out"
mkdir -p "$STAGE/assets"
"$WORK/node_modules/.bin/sass" \
  --style=compressed --no-source-map \
  --load-path="$WORK/node_modules" \
  --quiet-deps --silence-deprecation=import \
  "$WORK/govuk.scss" "$STAGE/govuk-frontend.min.css"

# Sanity checks: no GDS Transport, no font files, Arial present.
if grep -qi "GDS Transport" "$STAGE/govuk-frontend.min.css"; then
  echo "CSS still references GDS Transport" >&2; exit 1
fi
if grep -q "/fonts/" "$STAGE/govuk-frontend.min.css"; then
  echo "CSS still references /fonts/" >&2; exit 1
fi
grep -qi "arial" "$STAGE/govuk-frontend.min.css" || { echo "CSS lacks arial" >&2; exit 1; }

echo "==> Copying JS and assets"
# ES module bundle: load with <script type="module">.
cp "$DIST/govuk-frontend.min.js" "$STAGE/"
# The bundle ends with a sourceMappingURL comment; ship the map so Django's
# ManifestStaticFilesStorage (collectstatic) can resolve it.
cp "$DIST/govuk-frontend.min.js.map" "$STAGE/"
cp -R "$DIST/assets/images" "$STAGE/assets/images"
if [[ -f "$DIST/assets/manifest.json" ]]; then
  cp "$DIST/assets/manifest.json" "$STAGE/assets/manifest.json"
fi
echo "$INSTALLED_VERSION" > "$STAGE/VERSION"

rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
cp -R "$STAGE" "$DEST"

echo "==> Vendored govuk-frontend $INSTALLED_VERSION into ${DEST#"$REPO_ROOT"/}"
(cd "$DEST" && find . -type f | sort | xargs ls -l | awk '{print $5"\t"$9}')
