package org.fleece.qapi.schema;

import java.util.List;
import java.util.Set;

public record EnumType(String name, List<String> values, Set<String> deprecatedValues, List<String> features)
        implements SchemaType {
    @Override
    public String metaType() {
        return "enum";
    }
}
