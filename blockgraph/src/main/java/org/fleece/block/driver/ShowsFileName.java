package org.fleece.block.driver;

import org.fleece.block.BlockDriver;
import org.fleece.block.Child;

/**
 * A driver whose node QEMU names after its file child (copy-before-write,
 * snapshot-access): queries show the file's name, whatever options the node
 * itself has.
 */
public interface ShowsFileName extends BlockDriver {
    /** The child whose name the node shows. */
    Child file();

    @Override
    default String plainFilename() {
        return file().driver().plainFilename();
    }

    @Override
    default String filename() {
        return file().driver().filename();
    }
}
