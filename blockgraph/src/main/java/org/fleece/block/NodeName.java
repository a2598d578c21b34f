package org.fleece.block;

import org.fleece.qapi.QmpError;

import java.util.concurrent.ThreadLocalRandom;

/** QEMU's rules for node names, and the names it makes up for nodes given none. */
public final class NodeName {
    /** QEMU keeps node names in 32 bytes with the terminating NUL. */
    private static final int MAX_LENGTH = 31;
    private static long generated;

    private NodeName() {
    }

    /** Letters, digits, '-', '.', '_', starting with a letter (QEMU's id_wellformed). */
    public static boolean wellFormed(String name) {
        if (name.isEmpty() || !isAsciiLetter(name.charAt(0))) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!isAsciiLetter(c) && !(c >= '0' && c <= '9') && c != '-' && c != '.' && c != '_') {
                return false;
            }
        }
        return true;
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** Checks a name a user chose, in QEMU's order of complaints. */
    static void check(String name, BlockGraph graph) {
        if (!wellFormed(name)) {
            throw QmpError.generic("Invalid node-name: '" + name + "'");
        }
        if (graph.nameTaken(name)) {
            throw QmpError.generic("Duplicate nodes with node-name='" + name + "'");
        }
        if (name.length() > MAX_LENGTH) {
            throw QmpError.generic("Node name too long");
        }
    }

    /**
     * "#block" + a counter + two random digits, as QEMU's id_generate: the '#'
     * keeps it out of the names users may choose. Control thread only.
     */
    static String generate() {
        return "#block" + generated++ + String.format("%02d", ThreadLocalRandom.current().nextInt(100));
    }
}
