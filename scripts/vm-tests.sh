#!/usr/bin/env bash
# The VM stage of CI: boots a real Debian kernel under QEMU (TCG, nested KVM) and runs inside it
# every JUnit test tagged "kvm" (kernel-adapter's, plus conformance's own), then prints the guest
# kernel release and the counts. Fails when a test fails, when none passed, or when a boot check
# (panic detection, exit codes: VmBootIT) fails.
#
# Needs: JDK 25, Maven, qemu-system-x86_64, busybox-static, xz, apt-get (for the kernel package).
# Kernel: $KVMUF_VM_KERNEL (a series like 6.1, a package name, or a path); default newest 6.12.
# Then the upstream conformance again on Debian's 7.3 cloud kernel (trixie-backports, fetched through a private
# apt sources list; $KVMUF_VM_KERNEL2, empty to skip), beside the first kernel.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/find-jdk.sh
t0=$(date +%s)
kernel_args=()
[ -n "${KVMUF_VM_KERNEL:-}" ] && kernel_args=(--kernel "$KVMUF_VM_KERNEL")

echo "vm-tests: building the kit, test classes and the JUnit console launcher; boot checks (VmBootIT)"
# -Dtest=NONE: the unit tests ran in 'mvn verify' already; failsafe's VmBootIT still runs.
mvn -B -q -pl conformance/cli -am -Pvm-tests -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false verify

. scripts/vm-step.sh

cp=$(scripts/kvm-test-classpath.sh)

echo "vm-tests: running the tests tagged kvm inside the VM"
vm_step ./kvmuf vm test "${kernel_args[@]}" --launcher conformance/cli/target/vm-tests/junit-platform-console-standalone.jar \
  --class-path "$cp"

echo "vm-tests: kvmuf vm probe --json"
vm_step ./kvmuf vm probe --json "${kernel_args[@]}"
# Conformance in one run: every named rule, then 100 model-generated traces (config chosen by the probed
# profile: conform-upstream here), fixed seed; about 2 s a trace under TCG. Exit 1 on any divergence.
echo "vm-tests: kvmuf conform --target vm --traces 100 --seed 1"
vm_step ./kvmuf conform --target vm "${kernel_args[@]}" --traces 100 --seed 1
t1=$(date +%s)
echo "vm-tests: first kernel took $(( t1 - t0 )) s"

second=${KVMUF_VM_KERNEL2-7.3}
if [ -n "$second" ]; then
  echo "vm-tests: kvmuf vm probe --json --kernel $second"
  vm_step ./kvmuf vm probe --json --kernel "$second"
  echo "vm-tests: kvmuf conform --target vm --kernel $second --traces 100 --seed 1"
  vm_step ./kvmuf conform --target vm --kernel "$second" --traces 100 --seed 1
  echo "vm-tests: kernel $second took $(( $(date +%s) - t1 )) s"
fi
echo "vm-tests: VM stage took $(( $(date +%s) - t0 )) s"
