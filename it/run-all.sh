#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the real parts the tests use when they are missing
# (a CNCF registry, skopeo, umoci, podman, runc), then builds, installs the plugin and runs every
# unit, module and end-to-end test. Extra arguments go to Maven.
#
# Usage: it/run-all.sh [--dry-run] [Maven arguments...]
#   --dry-run  check the test dependencies and print what would be installed and the Maven command,
#              then stop without installing or building anything.
set -euo pipefail
cd "$(dirname "$0")/.."

dry_run=false
if [ "${1:-}" = "--dry-run" ]; then
  dry_run=true
  shift
fi

packages=(docker-registry skopeo umoci podman runc)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
maven=(./mvnw -B install "$@")

if $dry_run; then
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Would install test dependencies: ${missing[*]}"
  else
    echo "Test dependencies installed: ${packages[*]}"
  fi
  echo "Would run: ${maven[*]}"
  exit 0
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing test dependencies: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

exec "${maven[@]}"
