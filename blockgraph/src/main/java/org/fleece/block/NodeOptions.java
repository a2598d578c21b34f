package org.fleece.block;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.driver.Drivers;
import org.fleece.qapi.QmpError;

/**
 * The options every node takes (BlockdevOptions' base), with QEMU's defaults
 * filled in. inline: the node was given inside its parent's options, which
 * QEMU passes on through one more copy (it shows in the order of a json:
 * file name's keys).
 */
public record NodeOptions(JsonNode given, boolean readOnly, boolean autoReadOnly, boolean forceShare,
                          String discard, String detectZeroes, boolean cacheDirect, boolean cacheNoFlush,
                          boolean inline) {
    /**
     * A format's children default to discard=unmap (the format decides what
     * to pass on); other children inherit their parent's setting, as in QEMU.
     */
    private static String inheritedDiscard(NodeOptions parent) {
        if (parent == null) {
            return "ignore";
        }
        return Drivers.isFormat(parent.given().path("driver").asText()) ? "unmap" : parent.discard();
    }

    /**
     * Reads the base options; a child inherits read-only, cache and discard
     * settings from its parent unless it sets them itself, as in QEMU.
     */
    static NodeOptions of(JsonNode options, NodeOptions parent) {
        JsonNode cache = options.path("cache");
        String discard = options.path("discard").asText(inheritedDiscard(parent));
        if (options.path("detect-zeroes").asText().equals("unmap") && !discard.equals("unmap")) {
            throw QmpError.generic("setting detect-zeroes to unmap is not allowed without setting discard operation to unmap");
        }
        return new NodeOptions(options,
                options.path("read-only").asBoolean(parent != null && parent.readOnly()),
                options.path("auto-read-only").asBoolean(parent != null && parent.autoReadOnly()),
                options.path("force-share").asBoolean(false),
                discard,
                options.path("detect-zeroes").asText("off"),
                cache.path("direct").asBoolean(parent != null && parent.cacheDirect()),
                cache.path("no-flush").asBoolean(parent != null && parent.cacheNoFlush()),
                parent != null);
    }
}
