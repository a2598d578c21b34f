package org.fleece.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * QEMU's key=value option syntax (keyval): {@code a=1,b.c=2,,3} gives
 * {"a": "1", "b": {"c": "2,3"}}. Dotted keys nest, {@code ,,} is a literal
 * comma, an element without '=' at the start is the implied key's value, a
 * repeated key keeps its last value, and objects whose keys are 0..n-1 become
 * lists. Every value stays a string: the schema decides what it means.
 */
public final class KeyValue {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private KeyValue() {
    }

    public static ObjectNode parse(String text, String impliedKey) {
        ObjectNode root = JSON.objectNode();
        int pos = 0;
        boolean first = true;
        while (pos < text.length()) {
            int keyEnd = keyEnd(text, pos);
            String key;
            int valueStart;
            if (keyEnd < text.length() && text.charAt(keyEnd) == '=') {
                key = text.substring(pos, keyEnd);
                valueStart = keyEnd + 1;
            } else if (first && impliedKey != null) {
                key = impliedKey;
                valueStart = pos;
            } else {
                String bad = text.substring(pos, keyEnd);
                if (keyEnd >= text.length() || text.charAt(keyEnd) == ',') {
                    throw new CliError("Expected '=' after parameter '" + bad + "'");
                }
                throw new CliError("Invalid parameter '" + bad + "'");
            }
            StringBuilder value = new StringBuilder();
            pos = readValue(text, valueStart, value);
            put(root, key, value.toString());
            first = false;
        }
        return (ObjectNode) listify(root, "");
    }

    private static int keyEnd(String text, int pos) {
        int i = pos;
        while (i < text.length() && text.charAt(i) != '=' && text.charAt(i) != ',') {
            i++;
        }
        return i;
    }

    /** Reads up to the next single comma; returns the position after it. */
    private static int readValue(String text, int pos, StringBuilder value) {
        int i = pos;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == ',') {
                if (i + 1 < text.length() && text.charAt(i + 1) == ',') {
                    value.append(',');
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            value.append(c);
            i++;
        }
        return i;
    }

    private static void put(ObjectNode root, String key, String value) {
        String[] fragments = key.split("\\.", -1);
        for (String fragment : fragments) {
            if (!validFragment(fragment)) {
                throw new CliError("Invalid parameter '" + key + "'");
            }
        }
        ObjectNode current = root;
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < fragments.length - 1; i++) {
            prefix.append(i == 0 ? "" : ".").append(fragments[i]);
            JsonNode next = current.get(fragments[i]);
            if (next == null) {
                next = current.putObject(fragments[i]);
            } else if (!next.isObject()) {
                throw new CliError("Parameters '" + prefix + ".*' used inconsistently");
            }
            current = (ObjectNode) next;
        }
        String last = fragments[fragments.length - 1];
        if (current.get(last) instanceof ObjectNode) {
            throw new CliError("Parameters '" + key + ".*' used inconsistently");
        }
        current.put(last, value);
    }

    private static boolean validFragment(String fragment) {
        if (fragment.isEmpty()) {
            return false;
        }
        for (int i = 0; i < fragment.length(); i++) {
            char c = fragment.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 128) && c != '-' && c != '_') {
                return false;
            }
        }
        return true;
    }

    private static JsonNode listify(JsonNode node, String path) {
        if (!(node instanceof ObjectNode object)) {
            return node;
        }
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            object.set(name, listify(object.get(name), path.isEmpty() ? name : path + "." + name));
        }
        if (names.isEmpty() || !names.stream().allMatch(KeyValue::isIndex)) {
            return object;
        }
        ArrayNode list = JSON.arrayNode();
        for (int i = 0; i < names.size(); i++) {
            JsonNode element = object.get(Integer.toString(i));
            if (element == null) {
                throw new CliError("Parameter '" + (path.isEmpty() ? "" : path + ".") + i + "' missing");
            }
            list.add(element);
        }
        return list;
    }

    private static boolean isIndex(String name) {
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit)
                && (name.equals("0") || name.charAt(0) != '0');
    }

    /**
     * Flat QemuOpts (--chardev, --monitor): no nesting, pairs in order; a bare
     * {@code flag} means flag=on as QemuOpts reads it.
     */
    public static Map<String, String> flat(String text, String impliedKey) {
        Map<String, String> pairs = new LinkedHashMap<>();
        int pos = 0;
        boolean first = true;
        while (pos < text.length()) {
            int keyEnd = keyEnd(text, pos);
            StringBuilder value = new StringBuilder();
            if (keyEnd < text.length() && text.charAt(keyEnd) == '=') {
                String key = text.substring(pos, keyEnd);
                pos = readValue(text, keyEnd + 1, value);
                pairs.put(key, value.toString());
            } else if (first && impliedKey != null) {
                pos = readValue(text, pos, value);
                pairs.put(impliedKey, value.toString());
            } else {
                String key = text.substring(pos, keyEnd);
                pos = readValue(text, keyEnd, value);
                pairs.put(key, "on");
            }
            first = false;
        }
        return pairs;
    }
}
