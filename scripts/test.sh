#!/usr/bin/env bash
# The kit's test command: every module's tests under JDK 25 (TLC runs, the engines' parity,
# the adapter's userfaultfd tests; KVM tests run where /dev/kvm exists and skip visibly elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
exec mvn -B verify "$@"
