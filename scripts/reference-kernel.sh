#!/usr/bin/env bash
# The reference-kernel stage of CI: builds our KVM Userfault kernel (Debian linux-source-7.3 plus the
# patch series in kernel-reference/patches; cached under ~/.cache/kvmuf/built by a hash of its inputs), boots
# it under QEMU, checks that the probe detects KVM Userfault by behaviour (KVM_MEM_USERFAULT accepted, a bad
# bitmap pointer rejected at the ioctl: profile uf-v3, whatever number answers), and runs conform with the
# userfault rules and 100 generated traces of config conform-userfault (the post-copy protocol). Exit 1 on
# any divergence.
# With --mutants it then boots the kernel once per seeded bug and fails unless every one is killed.
#
# Needs: what scripts/vm-tests.sh needs, plus the kernel build's: flex bison bc libelf-dev libssl-dev make gcc.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/find-jdk.sh
. scripts/vm-step.sh
t0=$(date +%s)

echo "reference-kernel: kvmuf vm probe --kernel reference --json (builds the kernel when it is not cached)"
probe=$(./kvmuf vm probe --kernel reference --json)
echo "$probe"
if ! grep -q '"flagAccepted" *: *true' <<<"$probe" || ! grep -q '"badBitmapRejectedAtIoctl" *: *true' <<<"$probe" \
   || ! grep -q '"profile" *: *"uf-v3"' <<<"$probe"; then
  echo "reference-kernel: the probe does not detect KVM Userfault (flag accepted, bad bitmap rejected at the ioctl, uf-v3)" >&2
  exit 1
fi
echo "reference-kernel: detected by behaviour; $(grep -o '"capability" *: *[0-9a-z]*' <<<"$probe" | head -n1) (evidence only)"
echo "reference-kernel: built and probed in $(( $(date +%s) - t0 )) s"

# The tests tagged kvm on this kernel too: the adapter's KVM Userfault tests and the userfault rule tests run
# here instead of being skipped. Needs the test build of scripts/vm-tests.sh (mvn -Pvm-tests), which CI runs first.
if [ -f conformance/cli/target/vm-tests/junit-platform-console-standalone.jar ]; then
  echo "reference-kernel: running the tests tagged kvm inside the VM"
  vm_step ./kvmuf vm test --kernel reference --launcher conformance/cli/target/vm-tests/junit-platform-console-standalone.jar \
    --class-path "$(scripts/kvm-test-classpath.sh)"
else
  echo "reference-kernel: no test build (run scripts/vm-tests.sh first); the kvm-tagged tests are not run on this kernel"
fi

echo "reference-kernel: kvmuf conform --target vm --kernel reference --traces 100 --seed 1"
vm_step ./kvmuf conform --target vm --kernel reference --traces 100 --seed 1

if [ "${1:-}" = "--mutants" ]; then
  # Every mutant must be killed except those kernel-reference/known-survivors.tsv names, each with why the kit's rules
  # and 20 traces do not (always) see it; an unlisted survivor fails the stage, and so does a mutant whose run ended in
  # an error. The report names each listed mutant's result.
  echo "reference-kernel: kvmuf conform --target vm --kernel reference --kernel-mutant ALL --traces ${KVMUF_MUTANT_TRACES:-20} --seed 1 --json"
  matrix=$(mktemp)
  # Only the JSON report goes to the file (vm_step merges the command's stderr, the progress, into what it shows).
  # The exit code (1 when a listed mutant survives) is kept with '||': 'set +e' around the call would not do,
  # since vm_step turns errexit back on inside and the stage would end at its return, before the check below.
  matrix_rc=0
  vm_step bash -c "./kvmuf conform --target vm --kernel reference --kernel-mutant ALL --traces ${KVMUF_MUTANT_TRACES:-20} --seed 1 --json > '$matrix'" \
    || matrix_rc=$?
  echo "reference-kernel: the matrix run exited $matrix_rc (1: some mutant survived); its report:"
  cat "$matrix"
  echo
  # Everything the check says goes to stdout: CI's log shows stdout, and a failed stage must say why there.
  python3 - "$matrix" kernel-reference/known-survivors.tsv "$matrix_rc" <<'PY'
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print(f"reference-kernel: the mutant matrix wrote no JSON report (the run exited {sys.argv[3]}): {e}")
    sys.exit(1)
known = {l.split("\t")[0] for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")}
bad = []
for m in report["mutants"]:
    name, result = m["mutant"], m["result"]
    if result == "error":
        bad.append(f"{name}: error: {m.get('detail', '')}")
    elif result == "survived" and name not in known:
        bad.append(f"{name}: survived ({m.get('detail', '')}) and is not in known-survivors.tsv")
    note = ""
    if name in known:
        note = " (listed: may survive)" if result == "survived" else " (listed as a possible survivor, killed this time)"
    print(f"reference-kernel: mutant {name}: {result}: {m.get('detail', '')}{note}")
if bad:
    print("reference-kernel: FAILED: the mutant matrix differs from what is expected:\n  " + "\n  ".join(bad))
    sys.exit(1)
print(f"reference-kernel: {report['killed']} of {len(report['mutants'])} mutants killed; the others are listed in known-survivors.tsv")
PY
fi
echo "reference-kernel: stage took $(( $(date +%s) - t0 )) s"
