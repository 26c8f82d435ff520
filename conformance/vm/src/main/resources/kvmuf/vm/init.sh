#!/bin/sh
# PID 1 of the kvmuf VM (busybox sh). It loads the KVM modules, runs the one command the host asked
# for, forwards its output over the serial console in nonce-framed lines (see SerialFraming.java),
# reports its exit code in a trailer line, and powers off. Any failure here must still end in a
# trailer or a poweroff: the host treats a guest that stops without a trailer as a boot failure.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
# NONCE and kvmuf_command come from the small per-run archive the host appends to the initramfs.
. /run/kvmuf/run.sh

say() { echo "$NONCE $1 $2"; }
# Read line by line (IFS= and -r keep spaces and backslashes); a last line without newline counts.
frame() { while IFS= read -r line || [ -n "$line" ]; do echo "$NONCE $1 $line"; done; }

say K "$(uname -r)"
# Modules in dependency order (computed on the host from the kernel's module metadata). One that
# does not load (kvm-intel on an AMD-emulating CPU) is reported and skipped.
if [ -f /lib/modules/kvmuf/order ]; then
  while IFS= read -r m; do
    if err=$(insmod "/lib/modules/kvmuf/$m" 2>&1); then say L "loaded $m"; else say L "not loaded $m: $err"; fi
  done < /lib/modules/kvmuf/order
fi
if [ -c /dev/kvm ]; then say L "/dev/kvm present"; else say L "/dev/kvm absent"; fi
# From here on only emergencies (a panic) reach the console, so kernel text cannot split frames.
dmesg -n 1
mkfifo /tmp/stderr
frame E < /tmp/stderr &
( kvmuf_command 2>/tmp/stderr; echo $? > /tmp/rc ) | frame O
wait
say X "$(cat /tmp/rc 2>/dev/null || echo 255)"
poweroff -f
