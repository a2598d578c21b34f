package org.fleece.server.nbd;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Metadata contexts of one export chosen by NBD_OPT_SET_META_CONTEXT (or
 * listed by NBD_OPT_LIST_META_CONTEXT), with QEMU's ids: base:allocation 0,
 * qemu:allocation-depth 1, and the export's bitmaps from 2 on, in the order
 * the export lists them.
 */
record MetaContexts(NbdExport export, boolean baseAllocation, boolean allocationDepth, BitSet bitmaps) {
    static final String BASE_ALLOCATION = "base:allocation";
    static final String ALLOCATION_DEPTH = "qemu:allocation-depth";
    static final String DIRTY_BITMAP = "qemu:dirty-bitmap:";
    static final int BASE_ALLOCATION_ID = 0;
    static final int ALLOCATION_DEPTH_ID = 1;
    static final int FIRST_BITMAP_ID = 2;

    static MetaContexts none(NbdExport export) {
        return new MetaContexts(export, false, false, new BitSet());
    }

    /** Every context the export offers: what LIST answers when the client names none. */
    static MetaContexts all(NbdExport export) {
        BitSet bitmaps = new BitSet();
        bitmaps.set(0, export.bitmaps().size());
        return new MetaContexts(export, true, export.allocationDepth(), bitmaps);
    }

    /**
     * Adds what one query selects. LIST accepts "base:", "qemu:" and
     * "qemu:dirty-bitmap:" as wildcards; SET only whole names. Names Fleece
     * does not know select nothing and are no error, as the protocol asks.
     */
    MetaContexts with(String query, boolean list) {
        boolean base = baseAllocation;
        boolean depth = allocationDepth;
        BitSet selected = (BitSet) bitmaps.clone();
        if (query.startsWith("base:")) {
            String leaf = query.substring(5);
            base |= leaf.equals("allocation") || (list && leaf.isEmpty());
        } else if (query.startsWith("qemu:")) {
            String leaf = query.substring(5);
            boolean everything = list && leaf.isEmpty();
            depth |= export.allocationDepth() && (leaf.equals("allocation-depth") || everything);
            if (everything || query.startsWith(DIRTY_BITMAP)) {
                String name = query.substring(Math.min(query.length(), DIRTY_BITMAP.length()));
                for (int i = 0; i < export.bitmaps().size(); i++) {
                    if (everything || (list && name.isEmpty()) || export.bitmaps().get(i).name().equals(name)) {
                        selected.set(i);
                    }
                }
            }
        }
        return new MetaContexts(export, base, depth, selected);
    }

    int count() {
        return (baseAllocation ? 1 : 0) + (allocationDepth ? 1 : 0) + bitmaps.cardinality();
    }

    /** The selected contexts in reply order: id and name. */
    List<Context> contexts() {
        List<Context> list = new ArrayList<>(2 + bitmaps.cardinality());
        if (baseAllocation) {
            list.add(new Context(BASE_ALLOCATION_ID, BASE_ALLOCATION));
        }
        if (allocationDepth) {
            list.add(new Context(ALLOCATION_DEPTH_ID, ALLOCATION_DEPTH));
        }
        for (int i = bitmaps.nextSetBit(0); i >= 0; i = bitmaps.nextSetBit(i + 1)) {
            list.add(new Context(FIRST_BITMAP_ID + i, DIRTY_BITMAP + export.bitmaps().get(i).name()));
        }
        return list;
    }

    record Context(int id, String name) {
    }
}
