package org.fleece.qapi.schema;

import java.util.List;

/** One member of a struct, union base or command argument list. */
public record Member(String name, SchemaType type, boolean optional, List<String> features) {
}
