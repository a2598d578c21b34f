package org.fleece.qapi.schema;

import java.util.List;

public record Event(String name, SchemaType data, List<String> features) {
}
