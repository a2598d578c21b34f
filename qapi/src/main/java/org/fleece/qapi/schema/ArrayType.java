package org.fleece.qapi.schema;

public record ArrayType(SchemaType element) implements SchemaType {
    @Override
    public String name() {
        return "[" + element.name() + "]";
    }

    @Override
    public String metaType() {
        return "array";
    }
}
