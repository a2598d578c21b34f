package org.fleece.qapi.schema;

import java.util.List;

/**
 * A QMP command: its arguments (a struct, or any object type when boxed),
 * what it returns (null: it returns {}), and whether it may run out of band.
 */
public record Command(String name, SchemaType arguments, SchemaType returns, boolean allowOob, List<String> features) {
}
