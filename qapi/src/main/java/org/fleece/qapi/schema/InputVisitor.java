package org.fleece.qapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.qapi.GHashOrder;
import org.fleece.qapi.QDictOrder;
import org.fleece.qapi.QmpError;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a JSON value against a schema type the way QEMU's QObject input
 * visitor does, so that the first error found and its wording are QEMU's:
 * members are visited in schema order, a missing mandatory member or a value
 * of the wrong type fails at once, and members nobody visited are reported
 * only after all others passed, the first of them in the order of QEMU's
 * table of unvisited keys ({@link GHashOrder}).
 * <p>
 * Wording follows QEMU's split: type errors name the full path
 * ({@code actions[0].data}); enum values and integer ranges name only the member
 * ({@code 'null'} for a list element); alternates name their QAPI type.
 */
public final class InputVisitor {
    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /** Command-line (keyval) input: every scalar arrives as a string and is converted to its member's type. */
    private final boolean keyval;

    private InputVisitor(boolean keyval) {
        this.keyval = keyval;
    }

    /** Validates the arguments of a command (an object; absent arguments are an empty object). */
    public static void checkArguments(SchemaType type, JsonNode arguments) {
        new InputVisitor(false).visit(type, arguments, null, null);
    }

    /**
     * Validates options written in key=value syntax and converts their string
     * values, in place, to the types the schema gives them ("on" to true,
     * "512" to 512), with QEMU's wording for values that do not convert.
     */
    public static void convertKeyval(SchemaType type, JsonNode options) {
        new InputVisitor(true).visit(type, options, null, null);
    }

    /** Returns the value, converted when keyval input needed it. */
    private JsonNode visit(SchemaType type, JsonNode value, String name, String path) {
        switch (type) {
            case BuiltinType builtin -> {
                JsonNode typed = keyval && value.isTextual()
                        ? KeyvalScalars.convert(builtin, value.asText(), path) : value;
                visitBuiltin(builtin, typed, name, path);
                return typed;
            }
            case EnumType enumType -> visitEnum(enumType, value, name, path);
            case StructType struct -> {
                requireObject(value, path);
                List<String> visited = new ArrayList<>();
                visitMembers(struct.members(), value, path, visited);
                checkUnvisited(value, path, visited);
            }
            case UnionType union -> {
                requireObject(value, path);
                List<String> visited = new ArrayList<>();
                visitMembers(union.baseMembers(), value, path, visited);
                StructType variant = union.variants().get(value.get(union.discriminator()).asText());
                if (variant != null) {
                    visitMembers(variant.members(), value, path, visited);
                }
                checkUnvisited(value, path, visited);
            }
            case AlternateType alternate -> {
                return visitAlternate(alternate, value, name, path);
            }
            case ArrayType array -> {
                if (!value.isArray()) {
                    throw typeError(path, "array");
                }
                for (int i = 0; i < value.size(); i++) {
                    JsonNode element = value.get(i);
                    JsonNode converted = visit(array.element(), element, null, path + "[" + i + "]");
                    if (converted != element) {
                        ((ArrayNode) value).set(i, converted);
                    }
                }
            }
        }
        return value;
    }

    private static void requireObject(JsonNode value, String path) {
        if (!value.isObject()) {
            throw typeError(path, "object");
        }
    }

    private void visitMembers(List<Member> members, JsonNode object, String path, List<String> visited) {
        for (Member member : members) {
            JsonNode value = object.get(member.name());
            String memberPath = path == null ? member.name() : path + "." + member.name();
            if (value == null) {
                if (!member.optional()) {
                    throw QmpError.generic("Parameter '" + memberPath + "' is missing");
                }
                continue;
            }
            visited.add(member.name());
            JsonNode converted = visit(member.type(), value, member.name(), memberPath);
            if (converted != value) {
                ((ObjectNode) object).set(member.name(), converted);
            }
        }
    }

    private static void checkUnvisited(JsonNode object, String path, List<String> visited) {
        if (visited.size() == object.size()) {
            return;
        }
        String first = GHashOrder.firstUnvisited(QDictOrder.keys(object), visited);
        throw QmpError.generic("Parameter '" + (path == null ? first : path + "." + first) + "' is unexpected");
    }

    private static void visitEnum(EnumType type, JsonNode value, String name, String path) {
        if (!value.isTextual()) {
            throw typeError(path, "string");
        }
        if (!type.values().contains(value.asText())) {
            throw QmpError.generic("Parameter '" + plain(name) + "' does not accept value '" + value.asText() + "'");
        }
    }

    /** QEMU picks the branch by the value's JSON type; a value no branch takes is a type error. */
    private JsonNode visitAlternate(AlternateType alternate, JsonNode value, String name, String path) {
        for (SchemaType branch : alternate.branches()) {
            if (takes(branch, value)) {
                return visit(branch, value, name, path);
            }
        }
        throw typeError(name == null ? "null" : name, alternate.name());
    }

    private static boolean takes(SchemaType branch, JsonNode value) {
        return switch (branch) {
            case BuiltinType builtin -> switch (builtin.jsonType()) {
                case "string" -> value.isTextual();
                case "boolean" -> value.isBoolean();
                case "null" -> value.isNull();
                case "int" -> value.isIntegralNumber();
                case "number" -> value.isNumber();
                default -> true;
            };
            case EnumType ignored -> value.isTextual();
            case ArrayType ignored -> value.isArray();
            default -> value.isObject();
        };
    }

    private static void visitBuiltin(BuiltinType type, JsonNode value, String name, String path) {
        switch (type) {
            case STR -> {
                if (!value.isTextual()) {
                    throw typeError(path, "string");
                }
            }
            case BOOL -> {
                if (!value.isBoolean()) {
                    throw typeError(path, "boolean");
                }
            }
            case NUMBER -> {
                if (!value.isNumber()) {
                    throw typeError(path, "number");
                }
            }
            case NULL -> {
                if (!value.isNull()) {
                    throw typeError(path, "null");
                }
            }
            case ANY -> {
            }
            case INT, INT64 -> {
                if (!isInt64(value)) {
                    throw typeError(path, "integer");
                }
            }
            case INT8 -> checkSignedRange(value, name, path, Byte.MIN_VALUE, Byte.MAX_VALUE, "int8_t");
            case INT16 -> checkSignedRange(value, name, path, Short.MIN_VALUE, Short.MAX_VALUE, "int16_t");
            case INT32 -> checkSignedRange(value, name, path, Integer.MIN_VALUE, Integer.MAX_VALUE, "int32_t");
            case SIZE, UINT64 -> requireUint64(value, path);
            case UINT8 -> checkUnsignedRange(value, name, path, 0xffL, "uint8_t");
            case UINT16 -> checkUnsignedRange(value, name, path, 0xffffL, "uint16_t");
            case UINT32 -> checkUnsignedRange(value, name, path, 0xffffffffL, "uint32_t");
        }
    }

    private static void checkSignedRange(JsonNode value, String name, String path, long min, long max, String cType) {
        if (!isInt64(value)) {
            throw typeError(path, "integer");
        }
        long v = value.asLong();
        if (v < min || v > max) {
            throw QmpError.generic("Parameter '" + plain(name) + "' expects " + cType);
        }
    }

    /** Negative values pass QEMU's uint64 visitor as their two's complement, so -1 exceeds every narrower range. */
    private static void checkUnsignedRange(JsonNode value, String name, String path, long max, String cType) {
        requireUint64(value, path);
        if (value.isBigInteger() || value.asLong() < 0 || value.asLong() > max) {
            throw QmpError.generic("Parameter '" + plain(name) + "' expects " + cType);
        }
    }

    private static void requireUint64(JsonNode value, String path) {
        if (!isUint64OrInt64(value)) {
            throw QmpError.generic("Parameter '" + path + "' expects uint64");
        }
    }

    private static boolean isInt64(JsonNode value) {
        return value.isIntegralNumber() && value.canConvertToLong();
    }

    private static boolean isUint64OrInt64(JsonNode value) {
        if (!value.isIntegralNumber()) {
            return false;
        }
        if (value.canConvertToLong()) {
            return true;
        }
        BigInteger big = value.bigIntegerValue();
        return big.signum() >= 0 && big.compareTo(UINT64_MAX) <= 0;
    }

    private static String plain(String name) {
        return name == null ? "null" : name;
    }

    private static QmpError typeError(String path, String expected) {
        return QmpError.generic("Invalid parameter type for '" + plain(path) + "', expected: " + expected);
    }
}
