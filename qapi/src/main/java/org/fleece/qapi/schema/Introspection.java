package org.fleece.qapi.schema;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds query-qmp-schema's answer as QEMU does: commands and events keep their
 * names, every other type is given an opaque number in order of first use
 * ("0" is the empty object), arrays are named after their element ("[3]"),
 * builtins by JSON kind ("int" for every integer width). Clients rely on the
 * structure only, never on the numbers.
 */
public final class Introspection {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final String EMPTY_OBJECT = "0";

    private final Map<SchemaType, String> names = new IdentityHashMap<>();
    /** Arrays are created per reference, so they are known by their element's name. */
    private final Map<String, String> arrayNames = new HashMap<>();
    private final Deque<SchemaType> pending = new ArrayDeque<>();
    private final List<ObjectNode> entries = new ArrayList<>();
    private int nextNumber;

    private Introspection() {
    }

    public static ArrayNode of(Schema schema) {
        Introspection introspection = new Introspection();
        introspection.nextNumber = 1;
        introspection.addEntities(schema);
        ArrayNode result = JSON.arrayNode();
        result.addAll(introspection.entries);
        return result;
    }

    private void addEntities(Schema schema) {
        boolean emptyUsed = false;
        for (Command command : schema.commands()) {
            ObjectNode entry = entry(command.name(), "command", command.features());
            entry.put("arg-type", use(command.arguments()));
            entry.put("ret-type", command.returns() == null ? EMPTY_OBJECT : use(command.returns()));
            if (command.allowOob()) {
                entry.put("allow-oob", true);
            }
            entries.add(entry);
        }
        for (Event event : schema.events()) {
            ObjectNode entry = entry(event.name(), "event", event.features());
            entry.put("arg-type", use(event.data()));
            entries.add(entry);
        }
        entries.add(objectEntry(EMPTY_OBJECT, List.of()));
        drainPending();
        // Every JSON kind is described, used or not, as QEMU does: clients look them up by name.
        for (BuiltinType builtin : List.of(BuiltinType.STR, BuiltinType.INT, BuiltinType.NUMBER, BuiltinType.BOOL,
                BuiltinType.NULL, BuiltinType.ANY)) {
            use(builtin);
        }
        drainPending();
    }

    private void drainPending() {
        while (!pending.isEmpty()) {
            entries.add(describe(pending.poll()));
        }
    }

    private String use(SchemaType type) {
        if (isEmptyObject(type)) {
            return EMPTY_OBJECT;
        }
        if (type instanceof ArrayType array) {
            String element = use(array.element());
            return arrayNames.computeIfAbsent(element, e -> {
                pending.add(array);
                return "[" + e + "]";
            });
        }
        String name = names.get(type);
        if (name != null) {
            return name;
        }
        if (type instanceof BuiltinType builtin) {
            name = builtin.introspectionName();
            boolean described = names.containsValue(name);
            names.put(type, name);
            if (!described) {
                pending.add(type);
            }
            return name;
        }
        name = Integer.toString(nextNumber++);
        names.put(type, name);
        pending.add(type);
        return name;
    }

    private static boolean isEmptyObject(SchemaType type) {
        return type instanceof StructType struct && struct.members().isEmpty();
    }

    private ObjectNode describe(SchemaType type) {
        String name = type instanceof ArrayType array ? "[" + use(array.element()) + "]" : names.get(type);
        return switch (type) {
            case BuiltinType builtin -> {
                ObjectNode entry = entry(name, "builtin", List.of());
                entry.put("json-type", builtin.jsonType());
                yield entry;
            }
            case EnumType enumType -> {
                ObjectNode entry = entry(name, "enum", enumType.features());
                ArrayNode members = entry.putArray("members");
                for (String value : enumType.values()) {
                    ObjectNode member = members.addObject().put("name", value);
                    if (enumType.deprecatedValues().contains(value)) {
                        member.putArray("features").add("deprecated");
                    }
                }
                ArrayNode values = entry.putArray("values");
                enumType.values().forEach(values::add);
                yield entry;
            }
            case ArrayType array -> {
                ObjectNode entry = entry(name, "array", List.of());
                entry.put("element-type", use(array.element()));
                yield entry;
            }
            case StructType struct -> objectEntry(name, struct.members());
            case UnionType union -> {
                ObjectNode entry = objectEntry(name, union.baseMembers());
                entry.put("tag", union.discriminator());
                ArrayNode variants = entry.putArray("variants");
                union.variants().forEach((value, variant) ->
                        variants.addObject().put("case", value).put("type", use(variant)));
                yield entry;
            }
            case AlternateType alternate -> {
                ObjectNode entry = entry(name, "alternate", List.of());
                ArrayNode members = entry.putArray("members");
                alternate.branches().forEach(branch -> members.addObject().put("type", use(branch)));
                yield entry;
            }
        };
    }

    private ObjectNode objectEntry(String name, List<Member> members) {
        ObjectNode entry = entry(name, "object", List.of());
        ArrayNode list = entry.putArray("members");
        for (Member member : members) {
            ObjectNode node = list.addObject().put("name", member.name()).put("type", use(member.type()));
            if (member.optional()) {
                node.putNull("default");
            }
            if (!member.features().isEmpty()) {
                member.features().forEach(node.putArray("features")::add);
            }
        }
        return entry;
    }

    private static ObjectNode entry(String name, String metaType, List<String> features) {
        ObjectNode entry = JSON.objectNode().put("name", name).put("meta-type", metaType);
        if (!features.isEmpty()) {
            features.forEach(entry.putArray("features")::add);
        }
        return entry;
    }
}
