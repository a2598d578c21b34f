package org.fleece.server.qmp;

import org.fleece.qapi.schema.Command;
import org.fleece.qapi.schema.Schema;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The handlers of the daemon's commands, by name. A handler exists exactly for
 * each command of the schema: {@link #checkAgainst} refuses to start otherwise.
 */
public final class CommandTable {
    private final Map<String, CommandHandler> handlers = new HashMap<>();

    public CommandTable register(String name, CommandHandler handler) {
        if (handlers.putIfAbsent(name, handler) != null) {
            throw new IllegalStateException("command registered twice: " + name);
        }
        return this;
    }

    public CommandHandler handler(String name) {
        return handlers.get(name);
    }

    public void checkAgainst(Schema schema) {
        Set<String> missing = new TreeSet<>();
        for (Command command : schema.commands()) {
            if (!handlers.containsKey(command.name())) {
                missing.add(command.name());
            }
        }
        Set<String> undeclared = new TreeSet<>(handlers.keySet());
        schema.commands().forEach(c -> undeclared.remove(c.name()));
        if (!missing.isEmpty() || !undeclared.isEmpty()) {
            throw new IllegalStateException("schema and handlers disagree: without handler " + missing
                    + ", not in the schema " + undeclared);
        }
    }
}
