package org.fleece.block;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * What a parent may do with a child node (QEMU's BlockPermission), in QEMU's
 * bit order: the order decides error texts and the image lock bytes
 * (100 + bit for a permission held, 200 + bit for one not shared).
 * Sets of permissions travel as int bit masks.
 */
public enum Permission {
    CONSISTENT_READ("consistent-read", "consistent read"),
    WRITE("write", "write"),
    WRITE_UNCHANGED("write-unchanged", "write unchanged"),
    RESIZE("resize", "resize");

    public static final int NONE = 0;
    public static final int ALL = (1 << values().length) - 1;

    private final String qapiName;
    private final String text;

    Permission(String qapiName, String text) {
        this.qapiName = qapiName;
        this.text = text;
    }

    public int bit() {
        return 1 << ordinal();
    }

    /** The set named by BlockPermission values; the schema has already refused other names. */
    public static int bits(Iterable<String> qapiNames) {
        int bits = NONE;
        for (String name : qapiNames) {
            for (Permission p : values()) {
                if (p.qapiName.equals(name)) {
                    bits |= p.bit();
                }
            }
        }
        return bits;
    }

    /** "consistent read, write": how QEMU's error messages name a set. */
    public static String describe(int bits) {
        StringJoiner names = new StringJoiner(", ");
        for (Permission p : values()) {
            if ((bits & p.bit()) != 0) {
                names.add(p.text);
            }
        }
        return names.toString();
    }

    /** The set as BlockPermission enum values, highest bit first as x-debug-query-block-graph lists them. */
    public static List<String> qapiNames(int bits) {
        List<String> names = new ArrayList<>();
        for (int i = values().length - 1; i >= 0; i--) {
            if ((bits & values()[i].bit()) != 0) {
                names.add(values()[i].qapiName);
            }
        }
        return names;
    }
}
