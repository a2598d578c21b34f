package org.fleece.block.driver;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.BlockDriver;
import org.fleece.block.ChildOpener;
import org.fleece.block.ImageCreator;
import org.fleece.block.NodeOptions;
import org.fleece.block.driver.cbw.CopyBeforeWriteDriver;
import org.fleece.block.driver.qcow2.Qcow2Create;
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

    /** Drivers that can make new images (blockdev-create). */
    private static final Map<String, ImageCreator> CREATORS = Map.of(
            "file", (options, context) -> FileCreate.create(options),
            "qcow2", Qcow2Create::create);

    /** Image formats (as opposed to protocols and filters): their children default to discard=unmap. */
    private static final Set<String> FORMATS = Set.of("raw", "qcow2");

    private Drivers() {
    }

    public static boolean isFormat(String driver) {
        return FORMATS.contains(driver);
    }

    /** The driver's blockdev-create, refused with QEMU's words for drivers that have none. */
    public static ImageCreator creator(String driver) {
        ImageCreator creator = CREATORS.get(driver);
        if (creator == null) {
            throw QmpError.generic("Driver does not support blockdev-create");
        }
        return creator;
    }

    public static BlockDriver open(String driver, JsonNode options, NodeOptions base, ChildOpener children) {
        Opener opener = OPENERS.get(driver);
        if (opener == null) {
            throw QmpError.generic("Unknown driver '" + driver + "'");
        }
        return opener.open(options, base, children);
    }
}
