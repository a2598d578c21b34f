package org.fleece.block.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.BlkdebugEvent;
import org.fleece.block.BlockIOException;
import org.fleece.block.Errno;
import org.fleece.block.Permission;
import org.fleece.qapi.QDictOrder;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * blkdebug's blockdev-add options, checked with QEMU's words where QEMU
 * refuses them. Fleece's own refusals (a config file, the request limits,
 * errnos it has no name for) say that it is Fleece that does not support them.
 */
final class BlkdebugOptions {
    /** The request limits in QEMU's order of checking; each a multiple of align and of the one named with it. */
    private static final String[][] LIMITS = {
        {"align", null}, {"max-transfer", "align"}, {"opt-write-zero", "align"},
        {"max-write-zero", "opt-write-zero"}, {"opt-discard", "align"}, {"max-discard", "opt-discard"}};
    /** The options that change what the node does: QEMU's strong options, which its "json:" file names show. */
    private static final String[] STRONG = {
        "config", "inject-error", "set-state", "align", "max-transfer", "opt-write-zero", "max-write-zero",
        "opt-discard", "max-discard"};
    private static final String[] LISTS = {"inject-error", "set-state", "take-child-perms", "unshare-child-perms"};

    private BlkdebugOptions() {
    }

    /** What QEMU refuses before it opens the image: negative limits, then an unreadable config file. */
    static void checkBeforeImage(JsonNode options) {
        for (String[] limit : LIMITS) {
            if (options.path(limit[0]).asLong(0) < 0) {
                throw QmpError.generic("Parameter '" + limit[0] + "' expects a non-negative number below 2^64");
            }
        }
        if (options.has("config")) {
            String config = options.get("config").asText();
            try {
                if (config.isEmpty()) {
                    throw new BlockIOException(Errno.ENOENT);
                }
                Files.newInputStream(Path.of(config)).close();
            } catch (IOException e) {
                throw QmpError.generic("Could not read blkdebug config file: " + Errno.describe(e));
            }
            throw QmpError.generic(
                    "blkdebug: config files are not supported by Fleece (use inject-error and set-state)");
        }
    }

    /**
     * What QEMU refuses after it opened the image: limits that do not fit
     * (the image's own alignment is 1 byte in Fleece), then empty rule lists,
     * which QEMU's option flattening loses and then reports as unknown.
     */
    static void checkAfterImage(JsonNode options) {
        Map<String, Long> values = new HashMap<>();
        for (String[] limit : LIMITS) {
            long value = options.path(limit[0]).asLong(0);
            values.put(limit[0], value);
            long multipleOf = limit[1] == null ? 1 : Math.max(Math.max(values.get(limit[1]), values.get("align")), 1);
            boolean fits = limit[1] == null ? Long.bitCount(value) == 1 : value % multipleOf == 0;
            if (value != 0 && (value >= Integer.MAX_VALUE || !fits)) {
                throw QmpError.generic("Cannot meet constraints with " + limit[0] + " " + value);
            }
        }
        for (String list : LISTS) {
            if (options.has(list) && options.get(list).isEmpty()) {
                throw QmpError.generic("Block protocol 'blkdebug' doesn't support the option '" + list + "'");
            }
        }
        for (String[] limit : LIMITS) {
            if (values.get(limit[0]) != 0) {
                throw QmpError.generic("blkdebug: '" + limit[0] + "' is not supported by Fleece");
            }
        }
    }

    /** The rules, in the order given; QEMU puts each at the head of its event's list. */
    static void addRules(JsonNode options, BlkdebugState state) {
        for (JsonNode rule : options.path("inject-error")) {
            long errno = rule.path("errno").asLong(Errno.EIO.number());
            Errno error = null;
            if (errno != 0) {
                error = Errno.find(errno).orElseThrow(() -> QmpError.generic(
                        "blkdebug: errno " + errno + " is not supported by Fleece"));
            }
            long sector = rule.path("sector").asLong(-1);
            EnumSet<BlkdebugIOType> types = rule.has("iotype")
                    ? EnumSet.of(BlkdebugIOType.of(rule.get("iotype").asText()))
                    : EnumSet.copyOf(BlkdebugIOType.DEFAULT);
            state.add(event(rule), new BlkdebugRule.InjectError(rule.path("state").asLong(0), error,
                    sector == -1 ? -1 : sector * 512, types, rule.path("once").asBoolean(false)));
        }
        for (JsonNode rule : options.path("set-state")) {
            state.add(event(rule), new BlkdebugRule.SetState(rule.path("state").asLong(0),
                    rule.get("new_state").asLong()));
        }
    }

    private static BlkdebugEvent event(JsonNode rule) {
        return BlkdebugEvent.find(rule.get("event").asText()).orElseThrow();
    }

    /** take-child-perms or unshare-child-perms as a set of {@link Permission} bits. */
    static int permissions(JsonNode options, String name) {
        List<String> names = new ArrayList<>();
        options.path(name).forEach(value -> names.add(value.asText()));
        return Permission.bits(names);
    }

    /**
     * The strong options as QEMU keeps them, flattened: a rule's member
     * becomes "inject-error.0.event". QEMU flattens a rule's members in its
     * QDict's order, and its json: file name lists keys that share a hash
     * bucket in that order for a node the monitor added, in the opposite
     * order for one given inline (its options went through one more copy).
     * QDict yields the newest key of a bucket first, hence the order they are
     * added in here.
     */
    static ObjectNode strong(JsonNode options, boolean inline) {
        List<Map.Entry<String, JsonNode>> flat = new ArrayList<>();
        for (String name : STRONG) {
            if (options.has(name)) {
                flatten(name, options.get(name), flat);
            }
        }
        ObjectNode strong = JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, JsonNode> entry : inline ? flat : flat.reversed()) {
            strong.set(entry.getKey(), entry.getValue());
        }
        return strong;
    }

    private static void flatten(String key, JsonNode value, List<Map.Entry<String, JsonNode>> into) {
        if (value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                flatten(key + "." + i, value.get(i), into);
            }
        } else if (value.isObject()) {
            for (String member : QDictOrder.keys(value)) {
                flatten(key + "." + member, value.get(member), into);
            }
        } else {
            into.add(Map.entry(key, value));
        }
    }
}
