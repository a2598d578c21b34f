package org.fleece.qapi.schema;

import java.util.List;

/** A struct, with its base's members first as QAPI flattens them. */
public record StructType(String name, List<Member> members, List<String> features) implements SchemaType {
    @Override
    public String metaType() {
        return "object";
    }

    /** Identity: types may refer to themselves, so structural equality would never end. */
    @Override
    public boolean equals(Object other) {
        return this == other;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
