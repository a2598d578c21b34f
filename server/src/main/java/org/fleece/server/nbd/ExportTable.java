package org.fleece.server.nbd;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The daemon's block exports, oldest first. Changed on the control thread;
 * NBD clients look names up from their own threads, so reads need no lock.
 * An export stays here while it shuts down (query-block-exports shows it) but
 * clients no longer find it by name.
 */
public final class ExportTable {
    private final List<NbdExport> exports = new CopyOnWriteArrayList<>();

    public NbdExport byId(String id) {
        for (NbdExport e : exports) {
            if (e.id().equals(id)) {
                return e;
            }
        }
        return null;
    }

    /** The export clients reach under this name, if it is not shutting down. */
    NbdExport byName(String name) {
        for (NbdExport e : exports) {
            if (e.name().equals(name) && !e.shuttingDown()) {
                return e;
            }
        }
        return null;
    }

    /** The exports clients can reach, in the order they were added (NBD_OPT_LIST's order). */
    List<NbdExport> reachable() {
        return exports.stream().filter(e -> !e.shuttingDown()).toList();
    }

    /** Oldest first. */
    List<NbdExport> all() {
        return List.copyOf(exports);
    }

    /** Newest first, as query-block-exports lists them. */
    public List<NbdExport> newestFirst() {
        List<NbdExport> list = new ArrayList<>(exports);
        Collections.reverse(list);
        return list;
    }

    public void add(NbdExport export) {
        exports.add(export);
    }

    public void remove(NbdExport export) {
        exports.remove(export);
    }
}
