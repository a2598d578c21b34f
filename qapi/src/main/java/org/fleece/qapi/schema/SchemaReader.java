package org.fleece.qapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.qapi.json.JsonStreamParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads schema files written in QAPI's syntax (a sequence of JSON objects with
 * single quotes and '#' comments; 'include' pulls in another file) into a {@link Schema}.
 * The files are read with QMP's own JSON parser, once comments are blanked out:
 * it is the dialect QAPI files are written in, and it starts far faster than an ObjectMapper.
 * Types are created first and their members filled in afterwards, so a type may
 * refer to itself or to a type defined later.
 */
public final class SchemaReader {
    private final String resourceDir;
    private final List<JsonNode> definitions = new ArrayList<>();
    private final Set<String> included = new HashSet<>();
    private final Map<String, SchemaType> types = new LinkedHashMap<>();
    private final Map<String, Command> commands = new LinkedHashMap<>();
    private final Map<String, Event> events = new LinkedHashMap<>();

    private SchemaReader(String resourceDir) {
        this.resourceDir = resourceDir;
    }

    /** Loads the schema whose top file is {@code resourceDir/file} on the class path. */
    public static Schema load(String resourceDir, String file) {
        SchemaReader reader = new SchemaReader(resourceDir);
        reader.read(file);
        reader.declareTypes();
        reader.defineTypes();
        reader.defineCommandsAndEvents();
        return new Schema(reader.types, reader.commands, reader.events);
    }

    private void read(String file) {
        if (!included.add(file)) {
            return;
        }
        String path = resourceDir + "/" + file;
        try (InputStream in = SchemaReader.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("schema file not found: " + path);
            }
            JsonStreamParser.Parsed parsed = JsonStreamParser.parseText(withoutComments(in.readAllBytes()));
            if (!parsed.errors().isEmpty()) {
                throw new IllegalStateException(path + ": " + parsed.errors().getFirst());
            }
            for (JsonNode def : parsed.values()) {
                if (def.has("include")) {
                    read(def.get("include").asText());
                } else {
                    definitions.add(def);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema file " + path, e);
        }
    }

    /** Blanks every '#' comment up to the end of its line; a '#' inside a string is kept. */
    private static byte[] withoutComments(byte[] text) {
        byte quote = 0;
        for (int i = 0; i < text.length; i++) {
            byte c = text[i];
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '#') {
                while (i < text.length && text[i] != '\n') {
                    text[i++] = ' ';
                }
            }
        }
        return text;
    }

    private void declareTypes() {
        for (JsonNode def : definitions) {
            if (def.has("enum")) {
                declare(enumType(def));
            } else if (def.has("struct")) {
                declare(new StructType(def.get("struct").asText(), new ArrayList<>(), features(def)));
            } else if (def.has("union")) {
                declare(new UnionType(def.get("union").asText(), new ArrayList<>(),
                        def.get("discriminator").asText(), new LinkedHashMap<>(), features(def)));
            } else if (def.has("alternate")) {
                declare(new AlternateType(def.get("alternate").asText(), new ArrayList<>()));
            } else if (!def.has("command") && !def.has("event")) {
                throw new IllegalStateException("unknown schema definition: " + def);
            }
        }
    }

    private void declare(SchemaType type) {
        if (types.putIfAbsent(type.name(), type) != null || BuiltinType.byName(type.name()) != null) {
            throw new IllegalStateException("schema type defined twice: " + type.name());
        }
    }

    private static EnumType enumType(JsonNode def) {
        List<String> values = new ArrayList<>();
        Set<String> deprecated = new HashSet<>();
        for (JsonNode value : def.get("data")) {
            String name = value.isTextual() ? value.asText() : value.get("name").asText();
            values.add(name);
            if (value.isObject() && features(value).contains("deprecated")) {
                deprecated.add(name);
            }
        }
        return new EnumType(def.get("enum").asText(), List.copyOf(values), Set.copyOf(deprecated), features(def));
    }

    private void defineTypes() {
        for (JsonNode def : definitions) {
            if (def.has("struct")) {
                StructType struct = (StructType) types.get(def.get("struct").asText());
                if (def.has("base")) {
                    struct.members().addAll(baseMembers(def.get("base"), struct.name()));
                }
                struct.members().addAll(members(def.get("data"), struct.name()));
            } else if (def.has("union")) {
                UnionType union = (UnionType) types.get(def.get("union").asText());
                union.baseMembers().addAll(baseMembers(def.get("base"), union.name()));
                def.get("data").properties().forEach(branch -> union.variants().put(branch.getKey(),
                        (StructType) resolve(branchType(branch.getValue()), union.name())));
            } else if (def.has("alternate")) {
                AlternateType alternate = (AlternateType) types.get(def.get("alternate").asText());
                def.get("data").properties().forEach(branch ->
                        alternate.branches().add(resolve(branchType(branch.getValue()), alternate.name())));
            }
        }
    }

    private static String branchType(JsonNode branch) {
        return branch.isTextual() ? branch.asText() : branch.get("type").asText();
    }

    private List<Member> baseMembers(JsonNode base, String owner) {
        if (base.isObject()) {
            return members(base, owner);
        }
        SchemaType type = resolve(base.asText(), owner);
        if (!(type instanceof StructType struct)) {
            throw new IllegalStateException(owner + ": base must be a struct");
        }
        return struct.members();
    }

    private List<Member> members(JsonNode data, String owner) {
        List<Member> members = new ArrayList<>();
        if (data == null) {
            return members;
        }
        data.properties().forEach(entry -> {
            String key = entry.getKey();
            boolean optional = key.startsWith("*");
            String name = optional ? key.substring(1) : key;
            JsonNode spec = entry.getValue();
            JsonNode typeRef = spec.isObject() ? spec.get("type") : spec;
            members.add(new Member(name, resolve(typeRef, owner), optional,
                    spec.isObject() ? features(spec) : List.of()));
        });
        return members;
    }

    private SchemaType resolve(JsonNode typeRef, String owner) {
        if (typeRef.isArray()) {
            return new ArrayType(resolve(typeRef.get(0).asText(), owner));
        }
        return resolve(typeRef.asText(), owner);
    }

    private SchemaType resolve(String name, String owner) {
        SchemaType builtin = BuiltinType.byName(name);
        if (builtin != null) {
            return builtin;
        }
        SchemaType type = types.get(name);
        if (type == null) {
            throw new IllegalStateException(owner + " refers to unknown type " + name);
        }
        return type;
    }

    private void defineCommandsAndEvents() {
        for (JsonNode def : definitions) {
            if (def.has("command")) {
                String name = def.get("command").asText();
                SchemaType returns = def.has("returns") ? resolve(def.get("returns"), name) : null;
                commands.put(name, new Command(name, argumentType(def.get("data"), name + "-arg"),
                        returns, def.path("allow-oob").asBoolean(false), features(def)));
            } else if (def.has("event")) {
                String name = def.get("event").asText();
                events.put(name, new Event(name, argumentType(def.get("data"), name + "-arg"), features(def)));
            }
        }
    }

    /** A command's or event's 'data': an inline member list, or the name of an object type. */
    private SchemaType argumentType(JsonNode data, String implicitName) {
        if (data != null && data.isTextual()) {
            return resolve(data.asText(), implicitName);
        }
        return new StructType("q_obj_" + implicitName, members(data, implicitName), List.of());
    }

    private static List<String> features(JsonNode def) {
        JsonNode features = def.get("features");
        if (features == null) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        features.forEach(f -> names.add(f.isTextual() ? f.asText() : f.get("name").asText()));
        return List.copyOf(names);
    }
}
