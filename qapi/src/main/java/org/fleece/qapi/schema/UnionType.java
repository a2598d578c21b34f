package org.fleece.qapi.schema;

import java.util.List;
import java.util.Map;

/**
 * A flat union: base members (one of them the discriminator, an enum), then
 * the members of the variant the discriminator's value selects. Values without
 * a variant carry no further members.
 */
public record UnionType(String name, List<Member> baseMembers, String discriminator,
                        Map<String, StructType> variants, List<String> features) implements SchemaType {
    @Override
    public String metaType() {
        return "object";
    }

    public EnumType discriminatorType() {
        return (EnumType) baseMembers.stream().filter(m -> m.name().equals(discriminator))
                .findFirst().orElseThrow().type();
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
