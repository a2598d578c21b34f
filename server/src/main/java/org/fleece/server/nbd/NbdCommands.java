package org.fleece.server.nbd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.fleece.server.qmp.CommandTable;

/** The QMP commands of the NBD server and block exports; arguments arrive checked against the schema. */
public final class NbdCommands {
    private final BlockExports exports;

    public NbdCommands(BlockExports exports) {
        this.exports = exports;
    }

    public void registerIn(CommandTable table) {
        table.register("nbd-server-start", (args, ctx) -> {
            exports.startServer(ServerAddress.legacy(args.get("addr")), text(args, "tls-creds"),
                    args.path("max-connections").asInt(0));
            return null;
        }).register("nbd-server-stop", (args, ctx) -> {
            exports.stopServer();
            return null;
        }).register("nbd-server-add", (args, ctx) -> {
            exports.addLegacy(args.get("device").asText(), text(args, "name"), text(args, "description"),
                    args.path("writable").asBoolean(false), text(args, "bitmap"));
            return null;
        }).register("nbd-server-remove", (args, ctx) -> {
            exports.remove(args.get("name").asText(), hard(args));
            return null;
        }).register("block-export-add", (args, ctx) -> {
            add(exports, args);
            return null;
        }).register("block-export-del", (args, ctx) -> {
            exports.delete(args.get("id").asText(), hard(args));
            return null;
        }).register("query-block-exports", (args, ctx) -> query());
    }

    /** --nbd-server: NbdServerOptions, with the address in its flat form. */
    public static void startServer(BlockExports exports, JsonNode args) {
        exports.startServer(ServerAddress.flat(args.get("addr")), text(args, "tls-creds"),
                args.path("max-connections").asInt(0));
    }

    /** block-export-add's arguments, also what --export gives; checked against BlockExportOptions already. */
    public static void add(BlockExports exports, JsonNode args) {
        exports.add(new BlockExports.Options(args.get("id").asText(), args.get("node-name").asText(),
                text(args, "iothread"), text(args, "name"), text(args, "description"), args.path("writable").asBoolean(false),
                args.path("writethrough").asBoolean(false), args.path("allocation-depth").asBoolean(false),
                args.get("bitmaps")));
    }

    private ArrayNode query() {
        JsonNodeFactory json = JsonNodeFactory.instance;
        ArrayNode list = json.arrayNode();
        for (NbdExport e : exports.table().newestFirst()) {
            list.addObject().put("id", e.id()).put("type", "nbd").put("node-name", e.backend().node().name())
                    .put("shutting-down", e.shuttingDown());
        }
        return list;
    }

    private static boolean hard(JsonNode args) {
        return args.path("mode").asText("safe").equals("hard");
    }

    private static String text(JsonNode args, String name) {
        return args.has(name) ? args.get(name).asText() : null;
    }
}
