# Sourced by ./kvmuf and .ci/run: exports JAVA_HOME pointing at a JDK >= 25, or exits 3 with a one-line reason.
# Order: $JAVA_HOME, then java on PATH, then /usr/lib/jvm/*. A JAVA_HOME that is too old is replaced, with a word.
kvmuf_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n1
}
kvmuf_find_jdk() {
  local cand given="${JAVA_HOME:-}" given_major=""
  if [ -n "$given" ] && [ -x "$given/bin/java" ]; then
    given_major=$(kvmuf_java_major "$given")
  fi
  for cand in "$given" \
              "$(command -v javac >/dev/null 2>&1 && dirname "$(dirname "$(readlink -f "$(command -v javac)")")")" \
              /usr/lib/jvm/*; do
    [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
    local major; major=$(kvmuf_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      if [ -n "$given" ] && [ "$cand" != "$given" ]; then
        echo "kvmuf: JAVA_HOME=$given is JDK ${given_major:-?} (the kit needs 25 or newer); using $cand instead" >&2
      fi
      export JAVA_HOME="$cand"
      return 0
    fi
  done
  # Stock Debian 12/13 packages no JDK 25; 'temurin-25-jdk' needs Adoptium's apt repository first.
  echo "kvmuf: no JDK >= 25 found (looked at JAVA_HOME${given:+=$given (JDK ${given_major:-?})}, PATH, /usr/lib/jvm); Debian has none: add Adoptium's apt repository (https://adoptium.net/installation/linux/, then 'apt-get install temurin-25-jdk') or unpack a JDK 25 from https://jdk.java.net/25 and set JAVA_HOME to it" >&2
  exit 3
}
kvmuf_find_jdk
