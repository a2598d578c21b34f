package org.fleece.server.hmp;

import java.io.PrintStream;

/**
 * The three places an HMP command writes to, as in QEMU: the daemon's stdout
 * (qemu-io's results, printed with printf), its stderr (qemu-io's
 * fprintf(stderr) and getopt's complaints) and the monitor, whose text becomes
 * the reply of human-monitor-command (errors and warnings QEMU reports with
 * error_report while an HMP command runs). The monitor ends lines in "\r\n".
 * Every write is flushed at once, so that stdout and stderr lines keep their
 * order when both go to one log file.
 */
final class Console {
    private final PrintStream out;
    private final PrintStream err;
    private final StringBuilder monitor = new StringBuilder();

    Console(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    void out(String text) {
        out.print(text);
        out.flush();
    }

    void err(String text) {
        err.print(text);
        err.flush();
    }

    /** Monitor output; each '\n' becomes "\r\n" as HMP's output buffer does it. */
    synchronized void monitor(String text) {
        monitor.append(text.replace("\n", "\r\n"));
    }

    /** error_report during an HMP command: the message and a newline, to the monitor, no prefix. */
    void error(String message) {
        monitor(message + "\n");
    }

    /** warn_report during an HMP command. */
    void warning(String message) {
        monitor("warning: " + message + "\n");
    }

    /** What the monitor got so far; a command that goes on after the reply (held at a breakpoint) adds to nobody. */
    synchronized String reply() {
        return monitor.toString();
    }
}
