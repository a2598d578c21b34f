package org.fleece.block.driver;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The kinds of request an inject-error rule can be limited to (QAPI's BlkdebugIOType). */
enum BlkdebugIOType {
    READ, WRITE, WRITE_ZEROES, DISCARD, FLUSH, BLOCK_STATUS;

    /** What a rule without iotype fails: everything but block-status, as in QEMU. */
    static final Set<BlkdebugIOType> DEFAULT =
            Collections.unmodifiableSet(EnumSet.of(READ, WRITE, WRITE_ZEROES, DISCARD, FLUSH));

    /** From the schema's name ("write-zeroes"); the schema has already refused any other. */
    static BlkdebugIOType of(String qapiName) {
        return valueOf(qapiName.replace('-', '_').toUpperCase(Locale.ROOT));
    }
}
