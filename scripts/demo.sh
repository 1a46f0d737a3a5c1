#!/usr/bin/env bash
# Main job: set up, build release/ from source/, grade a sample class, print the scores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
if [ -z "${COURSE_MNIST_DIR:-}" ] && [ -d ../shared/data/mnist ]; then
  export COURSE_MNIST_DIR="$(cd ../shared/data/mnist && pwd)"
fi
if [ -z "${COURSE_HOUSING_DIR:-}" ] && [ -d ../shared/data/housing ]; then
  export COURSE_HOUSING_DIR="$(cd ../shared/data/housing && pwd)"
fi
exec .venv/bin/course-demo "$@"
