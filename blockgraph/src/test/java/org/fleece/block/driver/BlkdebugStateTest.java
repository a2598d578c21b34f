package org.fleece.block.driver;

import org.fleece.block.BlkdebugEvent;
import org.fleece.block.BlockIOException;
import org.fleece.block.Breakpoints;
import org.fleece.block.Errno;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** blkdebug's rules, state machine and breakpoints, as the qemu-io tool shows QEMU 7.2's behave. */
class BlkdebugStateTest {
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final BlkdebugState state = new BlkdebugState(new PrintStream(printed, true, StandardCharsets.UTF_8));

    private static BlkdebugRule.InjectError inject(Errno errno, long sector, boolean once, BlkdebugIOType... types) {
        return new BlkdebugRule.InjectError(0, errno, sector == -1 ? -1 : sector * 512,
                types.length == 0 ? BlkdebugIOType.DEFAULT : EnumSet.of(types[0], types), once);
    }

    private void fails(long offset, long bytes, BlkdebugIOType type, Errno errno) {
        assertThatThrownBy(() -> state.check(offset, bytes, type))
                .isInstanceOfSatisfying(BlockIOException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    private void passes(long offset, long bytes, BlkdebugIOType type) {
        assertThatCode(() -> state.check(offset, bytes, type)).doesNotThrowAnyException();
    }

    @Test
    void aRuleActsOnlyOnceItsEventFired() {
        state.add(BlkdebugEvent.READ_AIO, inject(Errno.ENOSPC, -1, false));
        passes(0, 512, BlkdebugIOType.READ);
        state.fire(BlkdebugEvent.WRITE_AIO);
        passes(0, 512, BlkdebugIOType.READ);
        state.fire(BlkdebugEvent.READ_AIO);
        fails(0, 512, BlkdebugIOType.READ, Errno.ENOSPC);
        fails(0, 512, BlkdebugIOType.WRITE, Errno.ENOSPC);
    }

    @Test
    void aSectorMatchesTheRequestsThatCoverIt() {
        state.add(BlkdebugEvent.READ_AIO, inject(Errno.EIO, 8, false));
        state.fire(BlkdebugEvent.READ_AIO);
        passes(0, 4096, BlkdebugIOType.READ);
        fails(4096, 512, BlkdebugIOType.READ, Errno.EIO);
        fails(3584, 1024, BlkdebugIOType.READ, Errno.EIO);
        passes(4097, 512, BlkdebugIOType.READ);
        // A flush covers no bytes: only rules without a sector fail it.
        passes(0, 0, BlkdebugIOType.FLUSH);
    }

    @Test
    void iotypeLimitsTheRequestsARuleFails() {
        state.add(BlkdebugEvent.READ_AIO, inject(Errno.EIO, -1, false, BlkdebugIOType.WRITE_ZEROES));
        state.fire(BlkdebugEvent.READ_AIO);
        passes(0, 512, BlkdebugIOType.READ);
        passes(0, 512, BlkdebugIOType.WRITE);
        fails(0, 512, BlkdebugIOType.WRITE_ZEROES, Errno.EIO);
    }

    @Test
    void blockStatusFailsOnlyWhenTheRuleSaysSo() {
        state.add(BlkdebugEvent.READ_AIO, inject(Errno.EIO, -1, false));
        state.fire(BlkdebugEvent.READ_AIO);
        passes(0, 512, BlkdebugIOType.BLOCK_STATUS);
        fails(0, 512, BlkdebugIOType.FLUSH, Errno.EIO);
    }

    @Test
    void theOldestRuleWinsAndOnceRulesGoOneByOne() {
        state.add(BlkdebugEvent.READ_AIO, inject(Errno.EIO, -1, true));
        state.add(BlkdebugEvent.READ_AIO, inject(Errno.ENOSPC, -1, true));
        state.fire(BlkdebugEvent.READ_AIO);
        fails(0, 512, BlkdebugIOType.READ, Errno.EIO);
        state.fire(BlkdebugEvent.READ_AIO);
        fails(0, 512, BlkdebugIOType.READ, Errno.ENOSPC);
        state.fire(BlkdebugEvent.READ_AIO);
        passes(0, 512, BlkdebugIOType.READ);
    }

    @Test
    void anotherEventWithRulesReplacesThoseInForce() {
        state.add(BlkdebugEvent.READ_AIO, inject(Errno.ENOSPC, 100, false));
        state.add(BlkdebugEvent.WRITE_AIO, inject(Errno.EIO, 200, false));
        state.fire(BlkdebugEvent.READ_AIO);
        fails(51200, 512, BlkdebugIOType.READ, Errno.ENOSPC);
        state.fire(BlkdebugEvent.PWRITEV);
        fails(51200, 512, BlkdebugIOType.READ, Errno.ENOSPC);
        state.fire(BlkdebugEvent.WRITE_AIO);
        passes(51200, 512, BlkdebugIOType.READ);
        fails(102400, 512, BlkdebugIOType.WRITE, Errno.EIO);
    }

    @Test
    void errnoZeroMatchesButFailsNothing() {
        state.add(BlkdebugEvent.READ_AIO, new BlkdebugRule.InjectError(0, null, -1, BlkdebugIOType.DEFAULT, false));
        state.add(BlkdebugEvent.READ_AIO, inject(Errno.EIO, -1, false));
        state.fire(BlkdebugEvent.READ_AIO);
        passes(0, 512, BlkdebugIOType.READ);
    }

    @Test
    void setStateRulesAllSeeTheStateBeforeTheEvent() {
        state.add(BlkdebugEvent.PWRITEV_DONE, new BlkdebugRule.SetState(1, 2));
        state.add(BlkdebugEvent.PWRITEV_DONE, new BlkdebugRule.SetState(2, 3));
        state.add(BlkdebugEvent.PWRITEV, new BlkdebugRule.InjectError(3, Errno.ENOSPC, -1,
                BlkdebugIOType.DEFAULT, false));
        assertThat(state.state()).isEqualTo(1);
        state.fire(BlkdebugEvent.PWRITEV_DONE);
        assertThat(state.state()).isEqualTo(2);
        state.fire(BlkdebugEvent.PWRITEV);
        passes(0, 512, BlkdebugIOType.WRITE);
        state.fire(BlkdebugEvent.PWRITEV_DONE);
        assertThat(state.state()).isEqualTo(3);
        state.fire(BlkdebugEvent.PWRITEV);
        fails(0, 512, BlkdebugIOType.WRITE, Errno.ENOSPC);
    }

    /** A request on a thread of its own that fires the event; done when it got past it. */
    private CompletableFuture<Void> request(BlkdebugEvent event, CountDownLatch suspended) {
        return CompletableFuture.runAsync(() -> ScopedValue.where(Breakpoints.ON_SUSPEND, suspended::countDown)
                .run(() -> state.fire(event)), runnable -> Thread.ofVirtual().start(runnable));
    }

    @Test
    void aBreakpointHoldsOneRequestUntilItIsResumed() throws Exception {
        state.breakpoint(BlkdebugEvent.WRITE_AIO, "a");
        CountDownLatch suspended = new CountDownLatch(1);
        CompletableFuture<Void> first = request(BlkdebugEvent.WRITE_AIO, suspended);
        assertThat(suspended.await(5, TimeUnit.SECONDS)).isTrue();
        state.awaitSuspended("a");
        assertThat(state.isSuspended("a")).isTrue();
        assertThat(first).isNotDone();

        // The breakpoint went with the request it caught: the next one passes.
        assertThat(request(BlkdebugEvent.WRITE_AIO, new CountDownLatch(1))).succeedsWithin(5, TimeUnit.SECONDS);

        assertThat(state.resume("a")).isTrue();
        assertThat(first).succeedsWithin(5, TimeUnit.SECONDS);
        assertThat(state.isSuspended("a")).isFalse();
        assertThat(state.resume("a")).isFalse();
        assertThat(printed.toString(StandardCharsets.UTF_8))
                .isEqualTo("blkdebug: Suspended request 'a'\nblkdebug: Resuming request 'a'\n");
    }

    @Test
    void resumeWakesTheNewestRequestHeldUnderTheTag() throws Exception {
        CountDownLatch bothHeld = new CountDownLatch(2);
        state.breakpoint(BlkdebugEvent.WRITE_AIO, "t");
        CompletableFuture<Void> older = request(BlkdebugEvent.WRITE_AIO, bothHeld);
        state.awaitSuspended("t");
        state.breakpoint(BlkdebugEvent.WRITE_AIO, "t");
        CompletableFuture<Void> newer = request(BlkdebugEvent.WRITE_AIO, bothHeld);
        assertThat(bothHeld.await(5, TimeUnit.SECONDS)).isTrue();

        state.resume("t");
        assertThat(newer).succeedsWithin(5, TimeUnit.SECONDS);
        assertThat(older).isNotDone();
        state.resume("t");
        assertThat(older).succeedsWithin(5, TimeUnit.SECONDS);
    }

    @Test
    void twoBreakpointsOnOneEventHoldTheRequestUntilBothAreResumed() throws Exception {
        state.breakpoint(BlkdebugEvent.WRITE_AIO, "a");
        state.breakpoint(BlkdebugEvent.WRITE_AIO, "b");
        CountDownLatch suspended = new CountDownLatch(1);
        CompletableFuture<Void> held = request(BlkdebugEvent.WRITE_AIO, suspended);
        assertThat(suspended.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(state.isSuspended("a")).isTrue();
        assertThat(state.isSuspended("b")).isTrue();
        state.resume("b");
        Thread.sleep(50);
        assertThat(held).isNotDone();
        state.resume("a");
        assertThat(held).succeedsWithin(5, TimeUnit.SECONDS);
        assertThat(printed.toString(StandardCharsets.UTF_8)).startsWith(
                "blkdebug: Suspended request 'b'\nblkdebug: Suspended request 'a'\n");
    }

    @Test
    void removeBreakpointResumesItsRequestsAndFailsWithoutABreakpoint() throws Exception {
        state.breakpoint(BlkdebugEvent.WRITE_AIO, "a");
        CountDownLatch suspended = new CountDownLatch(1);
        CompletableFuture<Void> held = request(BlkdebugEvent.WRITE_AIO, suspended);
        assertThat(suspended.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(state.removeBreakpoint("a")).isFalse();
        assertThat(held).succeedsWithin(5, TimeUnit.SECONDS);

        state.breakpoint(BlkdebugEvent.PWRITEV, "a");
        assertThat(state.removeBreakpoint("a")).isTrue();
        assertThat(request(BlkdebugEvent.PWRITEV, new CountDownLatch(1))).succeedsWithin(5, TimeUnit.SECONDS);
    }

    @Test
    void waitBreakReturnsOnceARequestIsHeld() throws Exception {
        state.breakpoint(BlkdebugEvent.READ_AIO, "w");
        CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> state.awaitSuspended("w"),
                runnable -> Thread.ofVirtual().start(runnable));
        Thread.sleep(50);
        assertThat(waiter).isNotDone();
        CompletableFuture<Void> held = request(BlkdebugEvent.READ_AIO, new CountDownLatch(1));
        assertThat(waiter).succeedsWithin(5, TimeUnit.SECONDS);
        state.resume("w");
        assertThat(held).succeedsWithin(5, TimeUnit.SECONDS);
    }

    @Test
    void aHeldRequestDoesNotStopOthersFromCheckingRules() throws Exception {
        state.add(BlkdebugEvent.READ_AIO, inject(Errno.EIO, 0, false));
        state.breakpoint(BlkdebugEvent.WRITE_AIO, "a");
        CountDownLatch suspended = new CountDownLatch(1);
        CompletableFuture<Void> held = request(BlkdebugEvent.WRITE_AIO, suspended);
        assertThat(suspended.await(5, TimeUnit.SECONDS)).isTrue();
        state.fire(BlkdebugEvent.READ_AIO);
        fails(0, 512, BlkdebugIOType.READ, Errno.EIO);
        state.resume("a");
        assertThat(held).succeedsWithin(5, TimeUnit.SECONDS);
    }
}
