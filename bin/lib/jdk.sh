# Sourced by the scripts in bin/: sets JAVA_HOME and JAVA to a JDK 25 or says why it cannot.
# Order: $JAVA_HOME if it is a JDK 25, then every JDK under /usr/lib/jvm.

# The JDK's release file names its version; reading it costs nothing, unlike starting a JVM.
jdk_major() {
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null
}

find_jdk25() {
    local candidate
    for candidate in ${JAVA_HOME:+"$JAVA_HOME"} /usr/lib/jvm/*; do
        if [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] && [ "$(jdk_major "$candidate")" = 25 ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! JAVA_HOME=$(find_jdk25); then
    echo "fleece: no JDK 25 found (looked at \$JAVA_HOME and /usr/lib/jvm/*)." >&2
    echo "fleece: install one (e.g. Temurin 25) or point JAVA_HOME at it." >&2
    exit 1
fi
export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"
