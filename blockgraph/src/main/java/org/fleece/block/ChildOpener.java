package org.fleece.block;

import com.fasterxml.jackson.databind.JsonNode;

/** How a driver gets its children while it opens: an inline definition or a node-name (BlockdevRef). */
@FunctionalInterface
public interface ChildOpener {
    BlockNode open(String role, JsonNode reference);
}
