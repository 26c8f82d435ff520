# Sourced by ./kvmuf and .ci/run: exports JAVA_HOME pointing at a JDK >= 25, or exits 3 with a one-line reason.
# Order: $JAVA_HOME, then java on PATH, then /usr/lib/jvm/*.
kvmuf_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n1
}
kvmuf_find_jdk() {
  local cand
  for cand in "${JAVA_HOME:-}" \
              "$(command -v javac >/dev/null 2>&1 && dirname "$(dirname "$(readlink -f "$(command -v javac)")")")" \
              /usr/lib/jvm/*; do
    [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
    local major; major=$(kvmuf_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      export JAVA_HOME="$cand"
      return 0
    fi
  done
  echo "kvmuf: no JDK >= 25 found (looked at JAVA_HOME, PATH, /usr/lib/jvm); install one, e.g. 'apt-get install temurin-25-jdk', and set JAVA_HOME" >&2
  exit 3
}
kvmuf_find_jdk
