package org.fleece.qapi.schema;

import java.util.List;

/** A value that may be any one of several types, told apart by its JSON type. */
public record AlternateType(String name, List<SchemaType> branches) implements SchemaType {
    @Override
    public String metaType() {
        return "alternate";
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
