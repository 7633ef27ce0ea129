#!/usr/bin/env bash
# Quick start on a fresh Debian/Ubuntu machine: installs what is missing
# (Debian packages, npm dependencies), then runs a local Orthanc loaded with
# sample studies and the gateway in front of it, and prints the URLs to try.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
exec npm run --silent demo
