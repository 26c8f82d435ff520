#!/usr/bin/env bash
# Builds a KVM kernel (x86_64, KVM built in) from Debian's kernel source of one base plus a quilt-style patch
# series: by default our KVM Userfault reference series on Debian's linux-source-7.3.
#
#   kernel-reference/build.sh [--base 7.3|6.12] [--series DIR] [--config-fragment FILE]
#                             [--source-tree DIR] [--apply-only] OUT_DIR
#
#   --base             7.3 (default: linux-source-7.3 from trixie-backports, fetched through a private apt
#                      sources list by debian-apt.sh, the machine's apt configuration untouched) or 6.12
#                      (linux-source-6.12 through the machine's own apt, as on Debian 12).
#   --series DIR       DIR/series names the patches, one a line, in order ('#' starts a comment, a "-pN"
#                      after the name sets the strip level, default -p1). Default: patches/ for 7.3,
#                      patches-6.12/ for 6.12 (our reference series).
#   --config-fragment  options applied on top of `make tinyconfig` (default: config.fragment here for 7.3,
#                      config-6.12.fragment for 6.12).
#   --source-tree DIR  use this unpacked tree instead of the Debian package (tests use a small fake tree).
#   --apply-only       stop after applying the series (no configure, no build); OUT_DIR gets build-info.txt.
#
# Steps: download the source package -> extract -> apply the series with patch -p1 --fuzz=0 (each patch is
# first tried with --dry-run; any reject is fatal) -> make tinyconfig + fragment -> check every fragment line
# made it into .config -> make bzImage -> OUT_DIR/bzImage, OUT_DIR/config and OUT_DIR/build-info.txt.
#
# Exit status: 0 built; 2 usage; 3 the series does not apply (one line on stderr names the patch and the
# file of its first rejected hunk); 1 anything else (missing tools, download, configure or build failure).
#
# Environment:
#   KVMUF_KERNEL_WORK  scratch directory (default OUT_DIR/work); its deb/, src/ and obj/ are
#                      recreated on every run, so it is safe to reuse but holds ~2 GB afterwards.
#   KVMUF_KERNEL_DEB   optional path to an already downloaded linux-source-BASE_*.deb; skips apt.
#   KVMUF_KERNEL_JOBS  make -j value (default: nproc).
#   KVMUF_KERNEL_CCACHE  auto (default: compile through ccache when it is installed) or off. Optional: the
#                      objects and bzImage are the same either way; a rebuild after a small patch change
#                      then recompiles only what changed (cache in CCACHE_DIR, default ~/.cache/kvmuf/ccache).
#
# Needs: apt-get (or KVMUF_KERNEL_DEB), dpkg-deb, tar, xz, patch, make, gcc, flex, bison, bc,
# libelf-dev, libssl-dev, sha256sum.  On Debian 12:
#   apt-get install -y build-essential flex bison bc libelf-dev libssl-dev xz-utils
#
# Progress goes to stderr, one line per step, prefixed "kernel-reference:".  The script always does
# the full build; caching a finished OUT_DIR/bzImage is the caller's business.
set -euo pipefail

say() { echo "kernel-reference: $*" >&2; }
die() { echo "kernel-reference: ERROR: $*" >&2; exit 1; }
usage() { echo "kernel-reference: usage: $0 [--base 7.3|6.12] [--series DIR] [--config-fragment FILE] [--source-tree DIR] [--apply-only] OUT_DIR" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BASE=7.3
SERIES_DIR=
FRAGMENT=
SOURCE_TREE=
APPLY_ONLY=0
OUT_ARG=
while [ $# -gt 0 ]; do
  case "$1" in
    --base) [ $# -ge 2 ] || usage; BASE=$2; shift 2 ;;
    --series) [ $# -ge 2 ] || usage; SERIES_DIR=$2; shift 2 ;;
    --config-fragment) [ $# -ge 2 ] || usage; FRAGMENT=$2; shift 2 ;;
    --source-tree) [ $# -ge 2 ] || usage; SOURCE_TREE=$2; shift 2 ;;
    --apply-only) APPLY_ONLY=1; shift ;;
    -*) usage ;;
    *) [ -z "$OUT_ARG" ] || usage; OUT_ARG=$1; shift ;;
  esac
done
[ -n "$OUT_ARG" ] || usage
case "$BASE" in
  7.3) SUITE=trixie-backports; DEFAULT_SERIES=$HERE/patches; DEFAULT_FRAGMENT=$HERE/config.fragment ;;
  6.12) SUITE=; DEFAULT_SERIES=$HERE/patches-6.12; DEFAULT_FRAGMENT=$HERE/config-6.12.fragment ;;
  *) echo "kernel-reference: ERROR: unknown base '$BASE' (7.3 or 6.12)" >&2; exit 2 ;;
esac
PACKAGE=linux-source-$BASE
SERIES_DIR=${SERIES_DIR:-$DEFAULT_SERIES}
FRAGMENT=${FRAGMENT:-$DEFAULT_FRAGMENT}
[ -d "$SERIES_DIR" ] || { echo "kernel-reference: ERROR: no series folder $SERIES_DIR" >&2; exit 2; }
SERIES_DIR=$(cd "$SERIES_DIR" && pwd)
DEFAULT_SERIES=$(cd "$DEFAULT_SERIES" 2>/dev/null && pwd || echo "$DEFAULT_SERIES")
SERIES_FILE=$SERIES_DIR/series
[ -f "$SERIES_FILE" ] || { echo "kernel-reference: ERROR: no series file in $SERIES_DIR" >&2; exit 2; }
[ -f "$FRAGMENT" ] || { echo "kernel-reference: ERROR: no config fragment $FRAGMENT" >&2; exit 2; }
FRAGMENT=$(cd "$(dirname "$FRAGMENT")" && pwd)/$(basename "$FRAGMENT")
mkdir -p "$OUT_ARG"
OUT=$(cd "$OUT_ARG" && pwd)
WORK=${KVMUF_KERNEL_WORK:-$OUT/work}
JOBS=${KVMUF_KERNEL_JOBS:-$(nproc)}
START=$(date +%s)

require_tools() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "missing tool: $tool (see the header of $0)"
  done
}
# What applying the series needs now; what building needs once it applies (whether a series applies does
# not depend on the machine it is built on, so that answer comes first).
tools=(patch sha256sum)
[ -n "$SOURCE_TREE" ] || tools+=(dpkg-deb tar xz)
require_tools "${tools[@]}"

# The series, quilt style: "NAME [-pN]" per line, '#' comments.
PATCHES=()
LEVELS=()
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%%#*}
  read -r name opt _ <<<"$line" || true
  [ -n "${name:-}" ] || continue
  level=1
  case "${opt:-}" in
    '') ;;
    -p[0-9]) level=${opt#-p} ;;
    *) echo "kernel-reference: ERROR: series line '$line': only a -pN option is understood" >&2; exit 2 ;;
  esac
  [ -f "$SERIES_DIR/$name" ] || { echo "kernel-reference: ERROR: series names missing patch $name" >&2; exit 2; }
  PATCHES+=("$name")
  LEVELS+=("$level")
done < "$SERIES_FILE"
[ ${#PATCHES[@]} -gt 0 ] || { echo "kernel-reference: ERROR: empty series $SERIES_FILE" >&2; exit 2; }

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

# Optional ccache. The tree is recreated in another folder for every cache key (kvmuf kernel build uses
# KEY.building), so absolute paths under WORK are rewritten relative (CCACHE_BASEDIR) and the working directory
# is not hashed: the same source compiles to a cache hit wherever it was unpacked.
CCACHE_MAKE=()
CCACHE_USED=no
if [ "${KVMUF_KERNEL_CCACHE:-auto}" != off ] && command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=$WORK CCACHE_NOHASHDIR=true CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/kvmuf/ccache}
  CCACHE_MAKE=(CC="ccache gcc")
  CCACHE_USED="yes ($CCACHE_DIR)"
fi

# 1. Source: the Debian package of the base (or a given tree).
rm -rf "$WORK/deb" "$WORK/pkg" "$WORK/src" "$WORK/obj"
SRC=$WORK/src
if [ -n "$SOURCE_TREE" ]; then
  [ -d "$SOURCE_TREE" ] || { echo "kernel-reference: ERROR: --source-tree $SOURCE_TREE is not a folder" >&2; exit 2; }
  cp -a "$SOURCE_TREE/." "$SRC/" 2>/dev/null || { mkdir -p "$SRC" && cp -a "$SOURCE_TREE/." "$SRC/"; }
  VERSION="tree:$(cd "$SOURCE_TREE" && pwd)"
  DEB_SHA=none
  say "using source tree $SOURCE_TREE"
else
  mkdir -p "$WORK/deb"
  if [ -n "${KVMUF_KERNEL_DEB:-}" ]; then
    [ -f "$KVMUF_KERNEL_DEB" ] || die "KVMUF_KERNEL_DEB=$KVMUF_KERNEL_DEB is not a file"
    cp "$KVMUF_KERNEL_DEB" "$WORK/deb/"
    say "using $KVMUF_KERNEL_DEB"
  elif [ -n "$SUITE" ]; then
    say "downloading $PACKAGE from $SUITE (private apt lists, see debian-apt.sh)"
    "$HERE/debian-apt.sh" "$SUITE" download "$WORK/deb" "$PACKAGE" || die "downloading $PACKAGE from $SUITE failed"
  else
    command -v apt-get >/dev/null || die "missing apt-get (or set KVMUF_KERNEL_DEB)"
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
  mkdir -p "$SRC"
  tar -xf "$TARBALL" -C "$SRC" --strip-components=1
  rm -rf "$WORK/pkg" "$WORK/deb"
fi

# 2. Patches, in series order; no fuzz, no rejects.  Each is tried with --dry-run first, so a patch that
# does not apply leaves the tree untouched and its first rejected hunk can be named.
first_reject() { # patch's output on stdin -> "hunk #N (at line L) of FILE", or the first error line
  awk '
    /^(checking|patching) file / { file = $0; sub(/^(checking|patching) file /, "", file); gsub(/^'"'"'|'"'"'$/, "", file) }
    /^Hunk #[0-9]+ FAILED/ && !done { h = $2; at = ""; if (match($0, /at [0-9]+/)) at = " (at line " substr($0, RSTART + 3, RLENGTH - 3) ")";
                                      print "hunk " h at " of " file " rejected"; done = 1 }
    /^can.t find file to patch/ && !done { print "a file it patches does not exist (" (file == "" ? "see the patch header" : file) ")"; done = 1 }
    /Reversed \(or previously applied\) patch detected/ && !done { print "already applied or reversed (" file ")"; done = 1 }
    /^patch: \*\*\*\* / && !done { sub(/^patch: \*\*\*\* /, ""); print; done = 1 }
    END { if (!done) print "patch failed" }'
}
for i in "${!PATCHES[@]}"; do
  p=${PATCHES[$i]}
  level=${LEVELS[$i]}
  if ! out=$(patch -d "$SRC" -p"$level" --dry-run --forward --batch --fuzz=0 < "$SERIES_DIR/$p" 2>&1); then
    echo "kernel-reference: ERROR: patch $p does not apply to $PACKAGE ${VERSION}: $(first_reject <<<"$out")" >&2
    exit 3
  fi
  say "applying $p"
  patch -d "$SRC" -p"$level" --forward --batch --fuzz=0 --no-backup-if-mismatch -s < "$SERIES_DIR/$p" \
    || die "patch $p does not apply cleanly after its dry run succeeded"
done
if [ -n "$(find "$SRC" -name '*.rej' -print -quit)" ]; then die "rejects left in $SRC"; fi
if [ $APPLY_ONLY -eq 0 ]; then
  require_tools make gcc flex bison bc
  [ -e /usr/include/libelf.h ] || [ -e /usr/include/gelf.h ] || die "missing libelf headers (libelf-dev)"
  [ -e /usr/include/openssl/ssl.h ] || die "missing OpenSSL headers (libssl-dev)"
fi

record() { # build-info.txt: what went in (and, once built, what came out)
  {
    echo "base: $BASE"
    echo "package: $PACKAGE"
    echo "version: $VERSION"
    echo "deb_sha256: $DEB_SHA"
    echo "series_dir: $SERIES_DIR"
    echo "fragment: $FRAGMENT"
    echo "fragment_sha256: $(sha256sum "$FRAGMENT" | cut -d' ' -f1)"
    echo "patches:"
    for p in "${PATCHES[@]}"; do
      echo "  $(sha256sum "$SERIES_DIR/$p" | cut -d' ' -f1)  $p"
    done
    "$@"
  } > "$OUT/build-info.txt"
}
if [ $APPLY_ONLY -eq 1 ]; then
  record true
  say "series applies: ${#PATCHES[@]} patch(es) on $PACKAGE $VERSION (--apply-only: not built)"
  echo "$VERSION"
  exit 0
fi

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
make -C "$SRC" O="$OBJ" "${CCACHE_MAKE[@]}" -s tinyconfig >&2
"$SRC"/scripts/kconfig/merge_config.sh -m -O "$OBJ" "$OBJ/.config" "$FRAG_CLEAN" >"$WORK/merge_config.log" 2>&1 \
  || die "merge_config.sh failed, see $WORK/merge_config.log"
make -C "$SRC" O="$OBJ" "${CCACHE_MAKE[@]}" -s olddefconfig >&2
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
# Our own series must have switched KVM Userfault on; another series is whatever it is (the probe tells).
if [ "$SERIES_DIR" = "$DEFAULT_SERIES" ]; then
  grep -qx 'CONFIG_HAVE_KVM_USERFAULT=y' "$OBJ/.config" || die "CONFIG_HAVE_KVM_USERFAULT not set: patches not applied?"
fi

# 4. Build.
say "make -j$JOBS bzImage (several minutes; ccache: $CCACHE_USED)"
make -C "$SRC" O="$OBJ" "${CCACHE_MAKE[@]}" -j"$JOBS" -s bzImage >&2 || die "kernel build failed"
RELEASE=$(cat "$OBJ/include/config/kernel.release")
cp "$OBJ/arch/x86/boot/bzImage" "$OUT/bzImage"
cp "$OBJ/.config" "$OUT/config"
END=$(date +%s)

# 5. Record what went in and what came out.
record echo "kernel_release: $RELEASE"
{
  echo "config_sha256: $(sha256sum "$OUT/config" | cut -d' ' -f1)"
  echo "bzimage_sha256: $(sha256sum "$OUT/bzImage" | cut -d' ' -f1)"
  echo "built_at: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "build_seconds: $((END - START))"
  echo "jobs: $JOBS"
  echo "ccache: $CCACHE_USED"
} >> "$OUT/build-info.txt"

say "done in $((END - START)) s: $OUT/bzImage ($RELEASE, $PACKAGE $VERSION)"
echo "$VERSION"
