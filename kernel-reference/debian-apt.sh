#!/usr/bin/env bash
# apt-get against one extra Debian suite (e.g. trixie-backports) through a private sources list and private
# state, without touching the machine's apt configuration (platform-notes "Newer Debian kernels").
#
#   kernel-reference/debian-apt.sh SUITE update
#   kernel-reference/debian-apt.sh SUITE version PKG          # prints the candidate version, exit 1 if unknown
#   kernel-reference/debian-apt.sh SUITE download DEST PKG... # .debs into DEST (nothing is installed)
#   kernel-reference/debian-apt.sh SUITE search REGEX         # package names matching REGEX
#
# State lives in $KVMUF_APT_DIR (default $KVMUF_CACHE/apt/SUITE, KVMUF_CACHE defaulting to ~/.cache/kvmuf).
# The lists are fetched when missing or older than $KVMUF_APT_MAX_AGE minutes (default 360).
# The mirror is the first Debian URI of the machine's own sources (/etc/apt/sources.list.d/*.sources or
# sources.list), else http://deb.debian.org/debian; $KVMUF_DEBIAN_MIRROR overrides it.
# Messages go to stderr prefixed "debian-apt:"; exit 1 on failure.
set -euo pipefail

say() { echo "debian-apt: $*" >&2; }
die() { echo "debian-apt: ERROR: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 SUITE update|version PKG|download DEST PKG...|search REGEX"
SUITE=$1
CMD=$2
shift 2
case "$SUITE" in *[!a-z0-9-]*|'') die "bad suite name '$SUITE'";; esac
command -v apt-get >/dev/null || die "apt-get not found (a Debian host is needed)"

CACHE=${KVMUF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvmuf}
DIR=${KVMUF_APT_DIR:-$CACHE/apt/$SUITE}
mkdir -p "$DIR/lists/partial" "$DIR/cache/archives/partial"

mirror() {
  if [ -n "${KVMUF_DEBIAN_MIRROR:-}" ]; then echo "$KVMUF_DEBIAN_MIRROR"; return; fi
  local uri
  # deb822 files: "URIs: http://deb.debian.org/debian"; one-line files: "deb [opts] URI suite ...".
  uri=$( { cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p';
           cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
             | sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p'; } \
         | tr ' ' '\n' | grep -E '/debian/?$' | head -n1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$KEYRING" ] || die "missing $KEYRING (apt-get install debian-archive-keyring)"
echo "deb [signed-by=$KEYRING] $(mirror) $SUITE main" > "$DIR/sources.list"
OPTS=(-o "Dir::Etc::sourcelist=$DIR/sources.list" -o "Dir::Etc::sourceparts=-"
      -o "Dir::State::Lists=$DIR/lists" -o "Dir::Cache=$DIR/cache" -o "Dir::State::status=/dev/null")
# apt drops to user _apt for downloads; our private dirs belong to the caller, so stay the caller.
[ "$(id -u)" -ne 0 ] || OPTS+=(-o "APT::Sandbox::User=root")

update() {
  say "apt-get update of $SUITE ($(mirror)) into $DIR"
  apt-get -q "${OPTS[@]}" update >"$DIR/update.log" 2>&1 || die "apt-get update of $SUITE failed, see $DIR/update.log"
}

fresh() {
  local max=${KVMUF_APT_MAX_AGE:-360}
  [ -n "$(find "$DIR/lists" -maxdepth 1 -name '*_Packages*' -mmin "-$max" -print -quit 2>/dev/null)" ]
}

case "$CMD" in
  update)
    update ;;
  version)
    [ $# -eq 1 ] || die "usage: $0 SUITE version PKG"
    fresh || update
    v=$(apt-cache "${OPTS[@]}" show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version:[[:space:]]*//p' | head -n1)
    [ -n "$v" ] || die "$SUITE has no package $1"
    echo "$v" ;;
  download)
    [ $# -ge 2 ] || die "usage: $0 SUITE download DEST PKG..."
    dest=$1
    shift
    mkdir -p "$dest"
    fresh || update
    say "apt-get download $* ($SUITE)"
    (cd "$dest" && apt-get -q "${OPTS[@]}" download "$@" >&2) || die "apt-get download $* from $SUITE failed" ;;
  search)
    [ $# -eq 1 ] || die "usage: $0 SUITE search REGEX"
    fresh || update
    apt-cache "${OPTS[@]}" pkgnames | grep -E -- "$1" | sort || true ;;
  *)
    die "unknown command '$CMD'" ;;
esac
