#!/usr/bin/env bash
# Builds the KVM Userfault reference kernel (x86_64, KVM built in) from Debian's linux-source-6.12.
#
#   kernel-reference/build.sh OUT_DIR
#
# Steps: apt-get download linux-source-6.12 -> extract -> apply patches/series (any reject is fatal)
# -> make tinyconfig + config.fragment -> check every fragment line made it into .config
# -> make bzImage -> OUT_DIR/bzImage and OUT_DIR/build-info.txt.
#
# Environment:
#   KVMUF_KERNEL_WORK  scratch directory (default OUT_DIR/work); its deb/, src/ and obj/ are
#                      recreated on every run, so it is safe to reuse but holds ~2 GB afterwards.
#   KVMUF_KERNEL_DEB   optional path to an already downloaded linux-source-6.12_*.deb; skips apt.
#   KVMUF_KERNEL_JOBS  make -j value (default: nproc).
#
# Needs: apt-get (or KVMUF_KERNEL_DEB), dpkg-deb, tar, xz, patch, make, gcc, flex, bison, bc,
# libelf-dev, libssl-dev, sha256sum.  On Debian 12:
#   apt-get install -y build-essential flex bison bc libelf-dev libssl-dev xz-utils
#
# Progress goes to stderr, one line per step, prefixed "kernel-reference:".  The script always does
# the full build; caching a finished OUT_DIR/bzImage is the caller's business.
set -euo pipefail

PACKAGE=linux-source-6.12

say() { echo "kernel-reference: $*" >&2; }
die() { echo "kernel-reference: ERROR: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUT_DIR"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
WORK=${KVMUF_KERNEL_WORK:-$OUT/work}
JOBS=${KVMUF_KERNEL_JOBS:-$(nproc)}
SERIES_FILE=$HERE/patches/series
FRAGMENT=$HERE/config.fragment
START=$(date +%s)

for tool in dpkg-deb tar xz patch make gcc flex bison bc sha256sum; do
  command -v "$tool" >/dev/null || die "missing tool: $tool (see the header of $0)"
done
[ -n "${KVMUF_KERNEL_DEB:-}" ] || command -v apt-get >/dev/null || die "missing apt-get (or set KVMUF_KERNEL_DEB)"
[ -e /usr/include/libelf.h ] || [ -e /usr/include/gelf.h ] || die "missing libelf headers (libelf-dev)"
[ -e /usr/include/openssl/ssl.h ] || die "missing OpenSSL headers (libssl-dev)"
[ -f "$SERIES_FILE" ] || die "missing $SERIES_FILE"
[ -f "$FRAGMENT" ] || die "missing $FRAGMENT"

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

# 1. Source package.
rm -rf "$WORK/deb" "$WORK/pkg" "$WORK/src" "$WORK/obj"
mkdir -p "$WORK/deb"
if [ -n "${KVMUF_KERNEL_DEB:-}" ]; then
  [ -f "$KVMUF_KERNEL_DEB" ] || die "KVMUF_KERNEL_DEB=$KVMUF_KERNEL_DEB is not a file"
  cp "$KVMUF_KERNEL_DEB" "$WORK/deb/"
  say "using $KVMUF_KERNEL_DEB"
else
  say "apt-get download $PACKAGE into $WORK/deb"
  (cd "$WORK/deb" && apt-get download "$PACKAGE" >&2) \
    || die "apt-get download $PACKAGE failed (run apt-get update, or set KVMUF_KERNEL_DEB)"
fi
shopt -s nullglob
debs=("$WORK"/deb/"$PACKAGE"_*.deb)
shopt -u nullglob
[ ${#debs[@]} -eq 1 ] || die "expected one $PACKAGE deb in $WORK/deb, found ${#debs[@]}"
DEB=${debs[0]}
VERSION=$(dpkg-deb -f "$DEB" Version)
DEB_SHA=$(sha256sum "$DEB" | cut -d' ' -f1)
say "source package $PACKAGE version $VERSION"

say "extracting"
dpkg-deb -x "$DEB" "$WORK/pkg"
TARBALL="$WORK/pkg/usr/src/$PACKAGE.tar.xz"
[ -f "$TARBALL" ] || die "no $TARBALL in the package"
mkdir -p "$WORK/src"
tar -xf "$TARBALL" -C "$WORK/src" --strip-components=1
rm -rf "$WORK/pkg"
SRC=$WORK/src

# 2. Patches, in series order; no fuzz, no rejects.
PATCHES=()
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%%#*}
  line=$(echo "$line" | tr -d '[:space:]')
  [ -n "$line" ] && PATCHES+=("$line")
done < "$SERIES_FILE"
[ ${#PATCHES[@]} -gt 0 ] || die "empty series"
for p in "${PATCHES[@]}"; do
  [ -f "$HERE/patches/$p" ] || die "series names missing patch $p"
  say "applying $p"
  patch -d "$SRC" -p1 --forward --batch --fuzz=0 --no-backup-if-mismatch -s < "$HERE/patches/$p" \
    || die "patch $p does not apply cleanly"
done
if [ -n "$(find "$SRC" -name '*.rej' -print -quit)" ]; then die "rejects left in $SRC"; fi

# 3. Configuration: tinyconfig + fragment, then verify every fragment line.
# Reproducible build identity: the timestamp is the source tree's own (tar keeps mtimes), not now.
export KBUILD_BUILD_USER=kvmuf KBUILD_BUILD_HOST=kernel-reference KBUILD_BUILD_VERSION=1
KBUILD_BUILD_TIMESTAMP=$(date -u -d "@$(stat -c %Y "$SRC/Makefile")" '+%a %b %e %H:%M:%S UTC %Y')
export KBUILD_BUILD_TIMESTAMP
OBJ=$WORK/obj
mkdir -p "$OBJ"
FRAG_CLEAN=$WORK/fragment.config
grep -v '^[[:space:]]*#' "$FRAGMENT" | grep -v '^[[:space:]]*$' > "$FRAG_CLEAN"
say "configuring (tinyconfig + $(wc -l < "$FRAG_CLEAN") fragment options)"
make -C "$SRC" O="$OBJ" -s tinyconfig >&2
"$SRC"/scripts/kconfig/merge_config.sh -m -O "$OBJ" "$OBJ/.config" "$FRAG_CLEAN" >"$WORK/merge_config.log" 2>&1 \
  || die "merge_config.sh failed, see $WORK/merge_config.log"
make -C "$SRC" O="$OBJ" -s olddefconfig >&2
missing=0
while IFS= read -r opt; do
  if ! grep -qxF "$opt" "$OBJ/.config"; then
    name=${opt%%=*}
    got=$(grep -E "^$name=|^# $name is not set" "$OBJ/.config" || echo "absent")
    say "config option not set as asked: want '$opt', got '$got'"
    missing=$((missing + 1))
  fi
done < "$FRAG_CLEAN"
[ $missing -eq 0 ] || die "$missing fragment option(s) did not end up in .config (unmet dependencies?)"
grep -qx 'CONFIG_HAVE_KVM_USERFAULT=y' "$OBJ/.config" || die "CONFIG_HAVE_KVM_USERFAULT not set: patches not applied?"

# 4. Build.
say "make -j$JOBS bzImage (several minutes)"
make -C "$SRC" O="$OBJ" -j"$JOBS" -s bzImage >&2 || die "kernel build failed"
RELEASE=$(cat "$OBJ/include/config/kernel.release")
cp "$OBJ/arch/x86/boot/bzImage" "$OUT/bzImage"
cp "$OBJ/.config" "$OUT/config"
END=$(date +%s)

# 5. Record what went in.
{
  echo "package: $PACKAGE"
  echo "version: $VERSION"
  echo "deb_sha256: $DEB_SHA"
  echo "kernel_release: $RELEASE"
  echo "fragment_sha256: $(sha256sum "$FRAGMENT" | cut -d' ' -f1)"
  echo "config_sha256: $(sha256sum "$OUT/config" | cut -d' ' -f1)"
  echo "patches:"
  for p in "${PATCHES[@]}"; do
    echo "  $(sha256sum "$HERE/patches/$p" | cut -d' ' -f1)  $p"
  done
  echo "bzimage_sha256: $(sha256sum "$OUT/bzImage" | cut -d' ' -f1)"
  echo "built_at: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "build_seconds: $((END - START))"
  echo "jobs: $JOBS"
} > "$OUT/build-info.txt"

say "done in $((END - START)) s: $OUT/bzImage ($RELEASE, $PACKAGE $VERSION)"
echo "$VERSION"
