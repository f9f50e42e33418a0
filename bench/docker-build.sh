#!/usr/bin/env bash
# Builds the container image (Dockerfile) when docker or podman is here and
# answers; says so and succeeds otherwise. Not part of CI.
#
#   bench/docker-build.sh [TAG]      # default tag: handoff:dev
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${1:-handoff:dev}
for tool in docker podman; do
  if command -v "$tool" > /dev/null && "$tool" info > /dev/null 2>&1; then
    "$tool" build -t "$TAG" .
    "$tool" image ls "$TAG"
    echo "built $TAG with $tool; run it with: $tool run --rm -p 8080:8080 $TAG"
    exit 0
  fi
done
echo "skipped: neither docker nor podman is installed and running here" >&2
