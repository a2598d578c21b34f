package org.fleece.block.driver.qcow2;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The backing file an image names in its header, found and opened as QEMU
 * does when blockdev-add gives no "backing": a relative name is relative to
 * the image's directory, the format comes from the header extension or else
 * from a look at the file (qcow2's magic, otherwise raw), and the node is
 * read-only.
 */
final class BackingFile {
    private BackingFile() {
    }

    /** The name combined with the directory of the image's file name (QEMU's path_combine). */
    static String fullName(String imageFilename, String backingFile) {
        if (backingFile.startsWith("/") || isProtocol(backingFile)) {
            return backingFile;
        }
        int slash = imageFilename.lastIndexOf('/');
        return slash < 0 ? backingFile : imageFilename.substring(0, slash + 1) + backingFile;
    }

    private static boolean isProtocol(String name) {
        int colon = name.indexOf(':');
        int slash = name.indexOf('/');
        return colon > 0 && (slash < 0 || colon < slash);
    }

    /** blockdev-add options for the implicit backing node. */
    static ObjectNode options(String fullName, String format) {
        ObjectNode options = JsonNodeFactory.instance.objectNode();
        options.put("driver", format != null ? format : probe(fullName));
        options.putObject("file").put("driver", "file").put("filename", fullName);
        options.put("read-only", true);
        return options;
    }

    /** qcow2 if the file starts with qcow2's magic, raw otherwise (and when it cannot be read: opening reports that). */
    private static String probe(String filename) {
        try (FileChannel channel = FileChannel.open(Path.of(filename), StandardOpenOption.READ)) {
            ByteBuffer magic = ByteBuffer.allocate(4);
            channel.read(magic, 0);
            return magic.position() == 4 && magic.getInt(0) == Qcow2Header.MAGIC ? "qcow2" : "raw";
        } catch (IOException | RuntimeException e) {
            return "raw";
        }
    }
}
