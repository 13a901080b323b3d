#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the real parts the tests use when they are missing
# (a CNCF registry, skopeo, umoci, podman, runc), then builds, installs the plugin and runs every
# unit, module and end-to-end test. Extra arguments go to Maven.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pkg in docker-registry skopeo umoci podman runc; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing test dependencies: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

exec ./mvnw -B install "$@"
