package org.fleece.server.nbd;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.qapi.QmpError;
import org.fleece.transactions.bitmap.BitmapLookup;

import java.util.ArrayList;
import java.util.List;

/**
 * Which dirty bitmaps an export offers, found as QEMU finds them: a name is
 * looked for on the exported node and down its chain of filters and backing
 * files; a {node, name} object anywhere. Every one is checked before any is
 * taken, so a bad one leaves all as they were.
 */
final class ExportedBitmaps {
    private ExportedBitmaps() {
    }

    static List<DirtyBitmap> resolve(BlockGraph graph, BlockNode exported, JsonNode requested, boolean writable) {
        List<DirtyBitmap> found = new ArrayList<>();
        if (requested == null) {
            return found;
        }
        for (JsonNode entry : requested) {
            DirtyBitmap bitmap = entry.isTextual() ? byName(exported, entry.asText(), writable)
                    : BitmapLookup.bitmap(graph, entry.get("node").asText(), entry.get("name").asText());
            BitmapLookup.usable(bitmap);
            found.add(bitmap);
        }
        return found;
    }

    private static DirtyBitmap byName(BlockNode exported, String name, boolean writable) {
        for (BlockNode node = exported; node != null; node = node.filteredOrBackingChild()) {
            DirtyBitmap bitmap = node.bitmaps().find(name);
            if (bitmap != null) {
                // A read-only export promises the data does not change; a recording bitmap of a writable node may.
                if (!writable && !node.readOnly() && bitmap.enabled()) {
                    throw QmpError.generic("Enabled bitmap '" + name + "' incompatible with readonly export");
                }
                return bitmap;
            }
        }
        throw QmpError.generic("Bitmap '" + name + "' is not found");
    }
}
