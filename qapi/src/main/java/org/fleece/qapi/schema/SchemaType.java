package org.fleece.qapi.schema;

/** A QAPI type: what a member, a command's arguments or its return value may be. */
public sealed interface SchemaType permits BuiltinType, EnumType, StructType, UnionType, AlternateType, ArrayType {
    /** The QAPI name, as the schema files spell it (QEMU quotes it in some errors). */
    String name();

    /** The meta-type query-qmp-schema reports. */
    String metaType();
}
