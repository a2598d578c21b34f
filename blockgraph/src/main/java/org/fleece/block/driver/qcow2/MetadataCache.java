package org.fleece.block.driver.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A bounded write-back cache of cluster-sized metadata tables (L2 tables or
 * refcount blocks) by host offset, least recently used first out. Guarded by
 * the driver's metadata lock. A dirty table reaches the file only through
 * {@link Store#write}, which first makes whatever it depends on durable (an L2
 * table never points at a cluster whose refcount is not yet on disk).
 */
final class MetadataCache {
    /** How tables come from and go to the file. */
    interface Store {
        ByteBuffer read(long offset) throws IOException;

        /** Called once before a batch of dirty tables is written. */
        void beforeWrite() throws IOException;

        void write(long offset, ByteBuffer table) throws IOException;
    }

    private static final class Entry {
        final ByteBuffer table;
        boolean dirty;
        boolean used;

        Entry(ByteBuffer table) {
            this.table = table;
        }
    }

    private final int capacity;
    private final Store store;
    private final LinkedHashMap<Long, Entry> tables = new LinkedHashMap<>(16, 0.75f, true);
    private int dirtyCount;

    MetadataCache(int capacity, Store store) {
        this.capacity = Math.max(2, capacity);
        this.store = store;
    }

    /** The table at offset, read from the file on a miss. Do not keep it past the metadata lock. */
    ByteBuffer get(long offset) throws IOException {
        Entry entry = tables.get(offset);
        if (entry == null) {
            entry = new Entry(store.read(offset));
            insert(offset, entry);
        }
        entry.used = true;
        return entry.table;
    }

    /** A table that starts out as the given contents (a new L2 table, a new refcount block), dirty. */
    ByteBuffer put(long offset, ByteBuffer contents) throws IOException {
        Entry entry = tables.get(offset);
        if (entry == null) {
            entry = new Entry(contents);
            insert(offset, entry);
        } else {
            entry.table.clear().put(contents.duplicate().clear()).clear();
        }
        markDirty(offset);
        return entry.table;
    }

    private void insert(long offset, Entry entry) throws IOException {
        if (tables.size() >= capacity) {
            evictOne();
        }
        tables.put(offset, entry);
    }

    private void evictOne() throws IOException {
        Map.Entry<Long, Entry> eldest = tables.entrySet().iterator().next();
        if (eldest.getValue().dirty) {
            store.beforeWrite();
            writeBack(eldest.getKey(), eldest.getValue());
        }
        tables.remove(eldest.getKey());
    }

    void markDirty(long offset) {
        Entry entry = tables.get(offset);
        if (!entry.dirty) {
            entry.dirty = true;
            dirtyCount++;
        }
    }

    boolean isDirty() {
        return dirtyCount > 0;
    }

    /** Writes every dirty table, in offset order. */
    void flush() throws IOException {
        if (dirtyCount == 0) {
            return;
        }
        store.beforeWrite();
        List<Long> offsets = new ArrayList<>();
        tables.forEach((offset, entry) -> {
            if (entry.dirty) {
                offsets.add(offset);
            }
        });
        offsets.sort(null);
        for (long offset : offsets) {
            writeBack(offset, tables.get(offset));
        }
    }

    private void writeBack(long offset, Entry entry) throws IOException {
        store.write(offset, entry.table.duplicate().clear());
        entry.dirty = false;
        dirtyCount--;
    }

    /** Forgets a table whose cluster was freed; its contents no longer matter. */
    void drop(long offset) {
        Entry entry = tables.remove(offset);
        if (entry != null && entry.dirty) {
            dirtyCount--;
        }
    }

    /** cache-clean-interval: drops clean tables not used since the last call. */
    void dropUnused() {
        for (Iterator<Entry> it = tables.values().iterator(); it.hasNext(); ) {
            Entry entry = it.next();
            if (!entry.dirty && !entry.used) {
                it.remove();
            }
            entry.used = false;
        }
    }
}
