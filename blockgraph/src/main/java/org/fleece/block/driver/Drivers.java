package org.fleece.block.driver;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.BlockDriver;
import org.fleece.block.ChildOpener;
import org.fleece.block.NodeOptions;
import org.fleece.block.driver.cbw.CopyBeforeWriteDriver;
import org.fleece.block.driver.qcow2.Qcow2Driver;
import org.fleece.qapi.QmpError;

import java.util.Map;
import java.util.Set;

/** The driver table: blockdev-add's driver name to the code that opens it. */
public final class Drivers {
    /** Opens one driver instance from its blockdev-add options. */
    @FunctionalInterface
    interface Opener {
        BlockDriver open(JsonNode options, NodeOptions base, ChildOpener children);
    }

    private static final Map<String, Opener> OPENERS = Map.of(
            "blkdebug", BlkdebugDriver::open,
            "copy-before-write", CopyBeforeWriteDriver::open,
            "snapshot-access", SnapshotAccessDriver::open,
            "file", FileDriver::open,
            "raw", RawDriver::open,
            "null-co", NullDriver::open,
            "qcow2", Qcow2Driver::open);

    /** Image formats (as opposed to protocols and filters): their children default to discard=unmap. */
    private static final Set<String> FORMATS = Set.of("raw", "qcow2");

    private Drivers() {
    }

    public static boolean isFormat(String driver) {
        return FORMATS.contains(driver);
    }

    public static BlockDriver open(String driver, JsonNode options, NodeOptions base, ChildOpener children) {
        Opener opener = OPENERS.get(driver);
        if (opener == null) {
            throw QmpError.generic("Unknown driver '" + driver + "'");
        }
        return opener.open(options, base, children);
    }
}
