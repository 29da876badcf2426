#!/usr/bin/env bash
# screenshot.sh REPORT.html OUT.png [WIDTH] [HEIGHT]
# Renders a Keel HTML report in headless Chromium (Debian's `chromium` package:
# apt-get update && apt-get install -y chromium) and writes a PNG to look at. The report must be
# self-contained: background networking is off, so anything it tried to fetch would be missing.
# Not part of the test run: it needs a browser the build machines do not have.
set -euo pipefail
in="$(realpath "$1")"
out="$(realpath -m "$2")"
w="${3:-1200}"
h="${4:-2400}"
browser="$(command -v chromium || command -v chromium-browser || true)"
[[ -n "$browser" ]] || { echo "screenshot.sh: no chromium; apt-get update && apt-get install -y chromium" >&2; exit 2; }
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$profile" --hide-scrollbars \
  --window-size="$w,$h" --screenshot="$out" "file://$in" >/dev/null 2>&1
[[ -s "$out" ]] || { echo "screenshot.sh: chromium wrote no screenshot" >&2; exit 1; }
echo "$out"
