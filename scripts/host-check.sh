#!/usr/bin/env bash
# Runs the kit's KVM test suite (JUnit tests tagged "kvm") directly on this machine's /dev/kvm,
# without a JDK: it uses the runtime in .jre/ and the jars in .hostkit/ that
# scripts/prepare-host-check.sh built on another machine. Prints uname, /dev/kvm, 'probe --json'
# and the test counts. Exit 0 when tests passed and none failed; 1 on a failed or empty suite;
# 3 when this machine or the carried payload lacks something.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
java="$root/.jre/bin/java"
kit="$root/.hostkit"
if [ ! -x "$java" ] || [ ! -f "$kit/kvmuf.jar" ]; then
  echo "host-check: .jre/ or .hostkit/ missing: run scripts/prepare-host-check.sh on a build machine and carry both folders" >&2
  exit 3
fi
echo "host-check: uname: $(uname -srmo)"
if [ -e /dev/kvm ]; then
  echo "host-check: /dev/kvm: present ($(ls -l /dev/kvm))"
else
  echo "host-check: /dev/kvm: absent (the tests tagged kvm will skip, and an all-skipped suite fails)"
fi
echo "host-check: java: $("$java" -version 2>&1 | head -n1)"

kvmuf() { "$java" --enable-native-access=ALL-UNNAMED -jar "$kit/kvmuf.jar" "$@"; }
if kvmuf help probe >/dev/null 2>&1; then
  echo "host-check: kvmuf probe --json"
  kvmuf probe --json || echo "host-check: probe exited with $?"
else
  echo "host-check: 'kvmuf probe' is not in this build; skipped"
fi

cp=""
for d in "$kit"/test-classes/*; do [ -d "$d" ] && cp="$cp${cp:+:}$d"; done
# The kit's libraries (kernel adapter, jackson, ...) and the test-only ones (assertj, ...).
# The kit itself (the conformance rules that kvm-tagged tests drive), then its libraries.
cp="$cp:$kit/kvmuf.jar"
for j in "$kit"/lib/*.jar "$kit"/test-lib/*.jar; do cp="$cp:$j"; done
echo "host-check: running the tests tagged kvm on this host"
rc=0
kvmuf vm test --here --launcher "$kit/junit-platform-console-standalone.jar" --class-path "$cp" || rc=$?

# Conformance in one run: the named rules, then 100 model-generated traces (fixed seed) on this kernel.
echo "host-check: kvmuf conform --target host --traces 100 --seed 1"
kvmuf conform --target host --traces 100 --seed 1 || rc=$((rc == 0 ? $? : rc))

# Demand paging on real vCPUs and on host threads (figures only; a benchmark never fails the check
# unless its own correctness checks fail). KVMUF_HOST_BENCH=0 skips it.
if [ "${KVMUF_HOST_BENCH:-1}" != 0 ]; then
  n=$(nproc)
  vcpus=1,2,4,8
  [ "$n" -ge 16 ] && vcpus=1,2,4,8,16
  echo "host-check: kvmuf bench demand-paging --target host --vcpus $vcpus ($n CPUs)"
  kvmuf bench demand-paging --target host --vcpus "$vcpus" --mode none,uffd-single,uffd-per-vcpu,kvm-uf,kvm-uf+uffd \
    --mem-per-vcpu 64M || rc=$((rc == 0 ? $? : rc))
  echo "host-check: kvmuf bench demand-paging --target threads --vcpus $vcpus"
  kvmuf bench demand-paging --target threads --vcpus "$vcpus" --mode none,uffd-single,uffd-per-vcpu \
    --mem-per-vcpu 64M || rc=$((rc == 0 ? $? : rc))
fi
echo "host-check: done, exit $rc"
exit "$rc"
