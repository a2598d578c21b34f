package org.fleece.qapi.schema;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;

/**
 * The QMP schema: every command, event and type the daemon knows. A command
 * not in here does not exist; validation and introspection are derived from it.
 */
public final class Schema {
    private static final String RESOURCE_DIR = "qapi";
    private static final String TOP_FILE = "fleece.json";

    private final Map<String, SchemaType> types;
    private final Map<String, Command> commands;
    private final Map<String, Event> events;

    Schema(Map<String, SchemaType> types, Map<String, Command> commands, Map<String, Event> events) {
        this.types = Collections.unmodifiableMap(types);
        this.commands = Collections.unmodifiableMap(commands);
        this.events = Collections.unmodifiableMap(events);
    }

    /** The daemon's schema, read from the class path. */
    public static Schema fleece() {
        return SchemaReader.load(RESOURCE_DIR, TOP_FILE);
    }

    public Command command(String name) {
        return commands.get(name);
    }

    public Collection<Command> commands() {
        return commands.values();
    }

    public Event event(String name) {
        return events.get(name);
    }

    public Collection<Event> events() {
        return events.values();
    }

    public SchemaType type(String name) {
        return types.get(name);
    }
}
