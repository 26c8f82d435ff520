# Sourced by the CI scripts that boot VMs (scripts/vm-tests.sh, scripts/reference-kernel.sh).
# Runs a kvmuf command that boots the VM. Emulated nested SVM under QEMU TCG has been seen to panic
# the guest kernel at random; such a panic (and only that) is retried once, and said so in the log.
# A failed test, a divergence or a second panic still fails the stage.
vm_step() {
  local log rc
  log=$(mktemp)
  set +e
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" != 0 ] && grep -q "guest kernel panicked" "$log"; then
    echo "vm-step: the emulated guest kernel panicked (see above); retrying this step once"
    set +e
    "$@"
    rc=$?
    set -e
  fi
  rm -f "$log"
  return "$rc"
}
