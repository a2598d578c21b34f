package org.fleece.qapi.schema;

import java.util.Map;

/**
 * QAPI's built-in scalars. Integers of every width and sign share the JSON
 * type "int" but differ in range checks and in QEMU's wording when a check fails.
 */
public enum BuiltinType implements SchemaType {
    STR("str", "string"),
    NUMBER("number", "number"),
    INT("int", "int"),
    INT8("int8", "int"),
    INT16("int16", "int"),
    INT32("int32", "int"),
    INT64("int64", "int"),
    UINT8("uint8", "int"),
    UINT16("uint16", "int"),
    UINT32("uint32", "int"),
    UINT64("uint64", "int"),
    SIZE("size", "int"),
    BOOL("bool", "boolean"),
    NULL("null", "null"),
    ANY("any", "value");

    private static final Map<String, BuiltinType> BY_NAME = Map.ofEntries(
            java.util.Arrays.stream(values()).map(t -> Map.entry(t.qapiName, t)).toArray(Map.Entry[]::new));

    private final String qapiName;
    private final String jsonType;

    BuiltinType(String qapiName, String jsonType) {
        this.qapiName = qapiName;
        this.jsonType = jsonType;
    }

    public static BuiltinType byName(String name) {
        return BY_NAME.get(name);
    }

    @Override
    public String metaType() {
        return "builtin";
    }

    /** The JSON type introspection reports ("string", "int", "number", "boolean", "null", "value"). */
    public String jsonType() {
        return jsonType;
    }

    /** The name introspection shows: every integer type is reported as plain "int". */
    public String introspectionName() {
        return jsonType.equals("int") ? "int" : qapiName;
    }

    @Override
    public String toString() {
        return qapiName;
    }

    public String qapiName() {
        return qapiName;
    }
}
