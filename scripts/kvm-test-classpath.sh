#!/usr/bin/env bash
# Prints the class path of the tests tagged "kvm" (kernel-adapter's and every conformance module's test
# classes, the cli module's main classes, then the test libraries, which hold the other kit modules' jars
# the Conform*Test rules drive), as built by
#   mvn -pl conformance/cli -am -Pvm-tests verify
# for 'kvmuf vm test --class-path'. Used by scripts/vm-tests.sh and scripts/reference-kernel.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cp=""
for d in kernel-adapter/target/test-classes conformance/*/target/test-classes conformance/cli/target/classes; do
  [ -d "$d" ] && cp="$cp${cp:+:}$d"
done
for j in conformance/cli/target/vm-tests/lib/*.jar; do cp="$cp:$j"; done
echo "$cp"
