package org.fleece.server;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A process started in the background by a shell inherits SIGINT (and
 * sometimes SIGHUP) ignored, and the JVM then refuses to install a handler
 * for a signal that was ignored. qemu-storage-daemon quits on these signals
 * however it was started, so before the handlers go in, each signal gets its
 * default disposition back (signal(2) with SIG_DFL).
 */
final class IgnoredSignals {
    private static final MethodHandle SIGNAL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("signal").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

    private IgnoredSignals() {
    }

    /** Linux numbers: SIGHUP 1, SIGINT 2, SIGTERM 15. */
    static int number(String name) {
        return switch (name) {
            case "HUP" -> 1;
            case "INT" -> 2;
            case "TERM" -> 15;
            default -> throw new IllegalArgumentException(name);
        };
    }

    static void restoreDefault(String name) {
        try {
            MemorySegment previous = (MemorySegment) SIGNAL.invokeExact(number(name), MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("signal(" + name + ") failed", t);
        }
    }
}
