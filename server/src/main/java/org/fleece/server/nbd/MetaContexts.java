package org.fleece.server.nbd;

import java.util.ArrayList;
import java.util.List;

/**
 * Metadata contexts of one export chosen by NBD_OPT_SET_META_CONTEXT (or
 * listed by NBD_OPT_LIST_META_CONTEXT), with QEMU's ids: base:allocation 0,
 * qemu:allocation-depth 1.
 */
record MetaContexts(NbdExport export, boolean baseAllocation, boolean allocationDepth) {
    static final String BASE_ALLOCATION = "base:allocation";
    static final String ALLOCATION_DEPTH = "qemu:allocation-depth";
    static final int BASE_ALLOCATION_ID = 0;
    static final int ALLOCATION_DEPTH_ID = 1;

    static MetaContexts none(NbdExport export) {
        return new MetaContexts(export, false, false);
    }

    /** Every context the export offers: what LIST answers when the client names none. */
    static MetaContexts all(NbdExport export) {
        return new MetaContexts(export, true, export.allocationDepth());
    }

    /**
     * Adds what one query selects. LIST accepts "base:" and "qemu:" as
     * wildcards; SET only whole names. Names Fleece does not know select
     * nothing and are no error, as the protocol asks.
     */
    MetaContexts with(String query, boolean list) {
        boolean base = baseAllocation;
        boolean depth = allocationDepth;
        if (query.startsWith("base:")) {
            String leaf = query.substring(5);
            base |= leaf.equals("allocation") || (list && leaf.isEmpty());
        } else if (query.startsWith("qemu:")) {
            String leaf = query.substring(5);
            depth |= export.allocationDepth() && (leaf.equals("allocation-depth") || (list && leaf.isEmpty()));
        }
        return new MetaContexts(export, base, depth);
    }

    int count() {
        return (baseAllocation ? 1 : 0) + (allocationDepth ? 1 : 0);
    }

    /** The selected contexts in reply order: id and name. */
    List<Context> contexts() {
        List<Context> list = new ArrayList<>(2);
        if (baseAllocation) {
            list.add(new Context(BASE_ALLOCATION_ID, BASE_ALLOCATION));
        }
        if (allocationDepth) {
            list.add(new Context(ALLOCATION_DEPTH_ID, ALLOCATION_DEPTH));
        }
        return list;
    }

    record Context(int id, String name) {
    }
}
