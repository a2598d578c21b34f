package org.fleece.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.qapi.ErrorClass;
import org.fleece.qapi.QmpError;
import org.fleece.qapi.schema.Introspection;
import org.fleece.qapi.schema.Schema;
import org.fleece.server.chardev.Chardev;
import org.fleece.server.qmp.CommandContext;
import org.fleece.server.qmp.CommandTable;

import java.util.Collection;
import java.util.function.Supplier;

/** The monitor's own commands: qmp_capabilities, query-version, query-commands, query-qmp-schema, quit, query-chardev. */
public final class ControlCommands {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final Schema schema;
    private final JsonNode version;
    private final Supplier<Collection<Chardev>> chardevs;
    private final Runnable quit;
    private ArrayNode introspection;

    public ControlCommands(Schema schema, JsonNode version, Supplier<Collection<Chardev>> chardevs, Runnable quit) {
        this.schema = schema;
        this.version = version;
        this.chardevs = chardevs;
        this.quit = quit;
    }

    public void registerIn(CommandTable table) {
        table.register("qmp_capabilities", this::capabilities)
                .register("query-version", (args, ctx) -> version.deepCopy())
                .register("query-commands", (args, ctx) -> commands())
                .register("query-qmp-schema", (args, ctx) -> schema())
                .register("quit", this::quit)
                .register("query-chardev", (args, ctx) -> chardevInfo());
    }

    /** The version object of the greeting and of query-version: the QEMU release Fleece behaves as, and Fleece's own. */
    public static ObjectNode version(String fleeceVersion) {
        ObjectNode info = JSON.objectNode();
        info.putObject("qemu").put("major", 7).put("minor", 2).put("micro", 0);
        info.put("package", "Fleece " + fleeceVersion);
        return info;
    }

    private JsonNode capabilities(JsonNode args, CommandContext context) {
        if (context.negotiated()) {
            throw new QmpError(ErrorClass.CommandNotFound, "Capabilities negotiation is already complete, command ignored");
        }
        boolean oob = false;
        for (JsonNode capability : args.path("enable")) {
            oob |= capability.asText().equals("oob");
        }
        context.completeNegotiation(oob);
        return null;
    }

    private JsonNode commands() {
        ArrayNode list = JSON.arrayNode();
        schema.commands().forEach(c -> list.addObject().put("name", c.name()));
        return list;
    }

    private JsonNode schema() {
        if (introspection == null) {
            introspection = Introspection.of(schema);
        }
        return introspection;
    }

    private JsonNode quit(JsonNode args, CommandContext context) {
        context.afterReply(quit);
        return null;
    }

    private JsonNode chardevInfo() {
        ArrayNode list = JSON.arrayNode();
        for (Chardev chardev : chardevs.get()) {
            list.addObject().put("frontend-open", chardev.frontendOpen()).put("filename", chardev.filename())
                    .put("label", chardev.id());
        }
        return list;
    }
}
