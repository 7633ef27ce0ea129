#!/usr/bin/env bash
# Fetches the prebuilt OHIF v3 viewer (the @ohif/app package on the npm
# registry: its tarball holds a built dist/) into
# node_modules/.cache/ohif/<version>/dist, without its dist/ort folder (only
# OHIF's AI tools use it). Under node_modules/ it is outside git, lint and type
# checks, and `npm ci` clears it (run this again after). The gateway serves it
# under /viewer, and the E2E tests serve it from their own origin. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."

OHIF_VERSION="${OHIF_VERSION:-$(cat scripts/ohif/version.txt)}"
target="node_modules/.cache/ohif/${OHIF_VERSION}"

if [ -f "${target}/dist/index.html" ] && [ -f "${target}/dist/app-config.js" ]; then
  echo "OHIF ${OHIF_VERSION} already at ${target}/dist"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "Fetching @ohif/app@${OHIF_VERSION} from the npm registry"
tarball="$(cd "$work" && npm pack --silent "@ohif/app@${OHIF_VERSION}" | tail -n 1)"
tar -xzf "${work}/${tarball}" -C "$work" package/dist
rm -rf "${work}/package/dist/ort"
[ -f "${work}/package/dist/index.html" ] || { echo "@ohif/app@${OHIF_VERSION} has no dist/index.html" >&2; exit 1; }

rm -rf "$target"
mkdir -p "$target"
mv "${work}/package/dist" "${target}/dist"
echo "OHIF ${OHIF_VERSION} installed at ${target}/dist ($(du -sh "${target}/dist" | cut -f1))"
