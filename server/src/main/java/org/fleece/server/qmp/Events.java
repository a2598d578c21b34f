package org.fleece.server.qmp;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sends events to every session that finished negotiation, on every monitor.
 * Each event is encoded once per output style (compact or pretty).
 */
public final class Events {
    private final Set<QmpSession> listeners = ConcurrentHashMap.newKeySet();

    void listen(QmpSession session) {
        listeners.add(session);
    }

    void forget(QmpSession session) {
        listeners.remove(session);
    }

    /** Completes when the event was handed to every listener's socket. */
    public CompletableFuture<Void> emit(String name, ObjectNode data) {
        ObjectNode event = Replies.event(name, data);
        Map<Boolean, byte[]> encoded = new HashMap<>();
        List<CompletableFuture<Void>> sent = listeners.stream()
                .map(s -> s.send(encoded.computeIfAbsent(s.pretty(), pretty -> MessageEncoder.encode(event, pretty))))
                .toList();
        return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new));
    }
}
