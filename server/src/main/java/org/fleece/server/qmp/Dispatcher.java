package org.fleece.server.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.qapi.ErrorClass;
import org.fleece.qapi.QDictOrder;
import org.fleece.qapi.QmpError;
import org.fleece.qapi.schema.Command;
import org.fleece.qapi.schema.InputVisitor;
import org.fleece.qapi.schema.Schema;


/**
 * Turns one request object into a call, checking it in QEMU's order: members
 * of the request (in QDict order), then the command's existence and the
 * session's negotiation state, then out-of-band rules, then the arguments.
 */
public final class Dispatcher {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final String NEGOTIATION = "qmp_capabilities";

    private final Schema schema;
    private final CommandTable commands;

    public Dispatcher(Schema schema, CommandTable commands) {
        this.schema = schema;
        this.commands = commands;
    }

    /** A checked request: what to run, with which arguments, and the id to echo (null when absent). */
    public record Call(Command command, CommandHandler handler, JsonNode arguments, JsonNode id, boolean oob) {
    }

    /**
     * @throws Rejected with the error reply's parts when the request cannot run
     */
    public Call prepare(JsonNode request, boolean negotiated, boolean oobEnabled) {
        if (!request.isObject()) {
            throw new Rejected(null, QmpError.generic("QMP input must be a JSON object"));
        }
        JsonNode id = request.get("id");
        try {
            return check((ObjectNode) request, id, negotiated, oobEnabled);
        } catch (QmpError e) {
            throw new Rejected(id, e);
        }
    }

    private Call check(ObjectNode request, JsonNode id, boolean negotiated, boolean oobEnabled) {
        JsonNode execute = null;
        JsonNode execOob = null;
        JsonNode arguments = null;
        for (String key : QDictOrder.keys(request)) {
            JsonNode value = request.get(key);
            switch (key) {
                case "execute" -> {
                    if (!value.isTextual()) {
                        throw QmpError.generic("QMP input member 'execute' must be a string");
                    }
                    if (execOob != null) {
                        throw QmpError.generic("QMP input member 'execute' clashes with 'exec-oob'");
                    }
                    execute = value;
                }
                case "exec-oob" -> {
                    if (!oobEnabled) {
                        throw QmpError.generic("QMP input member 'exec-oob' is unexpected");
                    }
                    if (!value.isTextual()) {
                        throw QmpError.generic("QMP input member 'exec-oob' must be a string");
                    }
                    if (execute != null) {
                        throw QmpError.generic("QMP input member 'exec-oob' clashes with 'execute'");
                    }
                    execOob = value;
                }
                case "arguments" -> {
                    if (!value.isObject()) {
                        throw QmpError.generic("QMP input member 'arguments' must be an object");
                    }
                    arguments = value;
                }
                case "id" -> {
                }
                default -> throw QmpError.generic("QMP input member '" + key + "' is unexpected");
            }
        }
        if (execute == null && execOob == null) {
            throw QmpError.generic("QMP input lacks member 'execute'");
        }
        boolean oob = execOob != null;
        String name = oob ? execOob.asText() : execute.asText();
        Command command = schema.command(name);
        if (command == null || (!negotiated && !name.equals(NEGOTIATION))) {
            throw new QmpError(ErrorClass.CommandNotFound, negotiated
                    ? "The command " + name + " has not been found"
                    : "Expecting capabilities negotiation with 'qmp_capabilities'");
        }
        if (oob && !command.allowOob()) {
            throw QmpError.generic("The command " + name + " does not support OOB");
        }
        if (arguments == null) {
            arguments = JSON.objectNode();
        }
        InputVisitor.checkArguments(command.arguments(), arguments);
        return new Call(command, commands.handler(name), arguments, id, oob);
    }


    /** A request answered with an error before any command ran. */
    public static final class Rejected extends RuntimeException {
        private final JsonNode id;
        private final QmpError error;

        Rejected(JsonNode id, QmpError error) {
            super(error.desc(), null, false, false);
            this.id = id;
            this.error = error;
        }

        public JsonNode id() {
            return id;
        }

        public QmpError error() {
            return error;
        }
    }
}
