package org.fleece.block.driver;

import org.fleece.block.BlkdebugEvent;
import org.fleece.block.BlockIOException;
import org.fleece.block.Breakpoints;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A blkdebug node's state machine: its rules by event, its current state
 * (1 at the start), the inject-error rules in force, and the requests held at
 * breakpoints. Requests on any thread fire events and check rules; qemu-io's
 * breakpoint commands come from the monitor. One lock guards it all and is
 * never held while a request waits at a breakpoint, so the monitor can
 * always get in to resume it.
 */
final class BlkdebugState {
    /** A request held at one or more breakpoints: it goes on when each of them was resumed. */
    private static final class HeldRequest {
        int holds;
    }

    private record Suspension(String tag, HeldRequest request) {
    }

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a request is held or resumed. */
    private final Condition changed = lock.newCondition();
    /** Where "blkdebug: Suspended request" lines go: the process's stdout, as QEMU prints them. */
    private final PrintStream out;
    /** Per event, the newest rule first: QEMU adds rules at the head of the event's list. */
    private final Map<BlkdebugEvent, List<BlkdebugRule>> rules = new EnumMap<>(BlkdebugEvent.class);
    /**
     * The inject-error rules that the last event with any (in the current
     * state) put in force, oldest first; they stay in force until another
     * such event replaces them.
     */
    private final List<BlkdebugRule.InjectError> active = new ArrayList<>();
    private long state = 1;
    /** Newest first, so that resume wakes the request held last. */
    private final List<Suspension> suspended = new ArrayList<>();

    BlkdebugState(PrintStream out) {
        this.out = out;
    }

    void add(BlkdebugEvent event, BlkdebugRule rule) {
        lock.lock();
        try {
            rules.computeIfAbsent(event, e -> new ArrayList<>()).addFirst(rule);
        } finally {
            lock.unlock();
        }
    }

    long state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The event happened to a request on this thread: every rule of the event
     * that applies in the current state acts (all see the state as it was
     * before any of them changed it), then the request waits if it hit breakpoints.
     */
    void fire(BlkdebugEvent event) {
        HeldRequest held = null;
        lock.lock();
        try {
            long next = state;
            boolean injecting = false;
            for (BlkdebugRule rule : List.copyOf(rules.getOrDefault(event, List.of()))) {
                if (rule.state() != 0 && rule.state() != state) {
                    continue;
                }
                switch (rule) {
                    case BlkdebugRule.InjectError inject -> {
                        if (!injecting) {
                            active.clear();
                            injecting = true;
                        }
                        active.addFirst(inject);
                    }
                    case BlkdebugRule.SetState set -> next = set.newState();
                    case BlkdebugRule.Suspend breakpoint -> {
                        remove(event, breakpoint);
                        if (held == null) {
                            held = new HeldRequest();
                        }
                        held.holds++;
                        suspended.addFirst(new Suspension(breakpoint.tag(), held));
                        print("blkdebug: Suspended request '" + breakpoint.tag() + "'");
                    }
                }
            }
            state = next;
            if (held != null) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (held != null) {
            if (Breakpoints.ON_SUSPEND.isBound()) {
                Breakpoints.ON_SUSPEND.get().run();
            }
            awaitResumed(held);
        }
    }

    private void awaitResumed(HeldRequest held) {
        lock.lock();
        try {
            while (held.holds > 0) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A request reached the node: the first rule in force that covers it
     * fails it with the rule's errno, without passing it on (a rule with
     * errno 0 covers it and lets it pass). QEMU's "immediately" only changes
     * whether the error comes back before or after its coroutine yields once,
     * which a synchronous request cannot tell apart.
     */
    void check(long offset, long bytes, BlkdebugIOType type) throws BlockIOException {
        BlkdebugRule.InjectError rule;
        lock.lock();
        try {
            rule = active.stream().filter(r -> r.matches(offset, bytes, type)).findFirst().orElse(null);
            if (rule == null || rule.errno() == null) {
                return;
            }
            if (rule.once()) {
                active.removeIf(r -> r == rule);
                rules.values().forEach(list -> list.removeIf(r -> r == rule));
            }
        } finally {
            lock.unlock();
        }
        throw new BlockIOException(rule.errno());
    }

    void breakpoint(BlkdebugEvent event, String tag) {
        add(event, new BlkdebugRule.Suspend(tag));
    }

    /** Drops the tag's breakpoints and resumes every request held under it; false if it had no breakpoint. */
    boolean removeBreakpoint(String tag) {
        lock.lock();
        try {
            boolean removed = false;
            for (List<BlkdebugRule> list : rules.values()) {
                removed |= list.removeIf(r -> r instanceof BlkdebugRule.Suspend s && s.tag().equals(tag));
            }
            while (resumeOne(tag)) {
                // every request held under the tag goes on
            }
            return removed;
        } finally {
            lock.unlock();
        }
    }

    /** Resumes the request held last under the tag; false if none is. */
    boolean resume(String tag) {
        lock.lock();
        try {
            return resumeOne(tag);
        } finally {
            lock.unlock();
        }
    }

    private boolean resumeOne(String tag) {
        for (Suspension s : suspended) {
            if (s.tag().equals(tag)) {
                suspended.remove(s);
                print("blkdebug: Resuming request '" + tag + "'");
                s.request().holds--;
                changed.signalAll();
                return true;
            }
        }
        return false;
    }

    boolean isSuspended(String tag) {
        lock.lock();
        try {
            return suspended.stream().anyMatch(s -> s.tag().equals(tag));
        } finally {
            lock.unlock();
        }
    }

    void awaitSuspended(String tag) {
        lock.lock();
        try {
            while (suspended.stream().noneMatch(s -> s.tag().equals(tag))) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    private void remove(BlkdebugEvent event, BlkdebugRule rule) {
        rules.get(event).removeIf(r -> r == rule);
    }

    private void print(String line) {
        out.print(line + "\n");
        out.flush();
    }
}
