#!/usr/bin/env bash
# Prints the class path of the tests tagged "kvm" (kernel-adapter's and conformance's test classes, the
# conformance main classes the Conform*Test rules drive, and the test libraries), as built by
#   mvn -pl conformance -am -Pvm-tests verify
# for 'kvmuf vm test --class-path'. Used by scripts/vm-tests.sh and scripts/reference-kernel.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cp=""
for d in kernel-adapter/target/test-classes conformance/target/test-classes conformance/target/classes; do
  [ -d "$d" ] && cp="$cp${cp:+:}$d"
done
for j in conformance/target/vm-tests/lib/*.jar; do cp="$cp:$j"; done
echo "$cp"
