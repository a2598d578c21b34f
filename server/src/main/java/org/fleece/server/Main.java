package org.fleece.server;

import org.fleece.server.cli.CliError;
import org.fleece.server.cli.CommandLine;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Entry point. Errors on the command line print "fleece: OPTION: reason" and
 * exit with status 1, as qemu-storage-daemon does. With --daemonize the
 * launcher (bin/fleece) has already detached us; we tell it through the pipe
 * named in FLEECE_READY_PIPE when start-up is complete, so it can exit then.
 */
public final class Main {
    private static final String READY_PIPE = "FLEECE_READY_PIPE";
    private static final String[] DEFAULT_ARGS = {
        "--chardev", "socket,path=fleece-qmp.sock,server=on,wait=off,id=qmp0", "--monitor", "chardev=qmp0"};

    private Main() {
    }

    public static void main(String[] args) {
        CommandLine commandLine;
        try {
            commandLine = CommandLine.parse(args.length == 0 ? DEFAULT_ARGS : args);
        } catch (CliError e) {
            fail(e.getMessage());
            return;
        }
        if (commandLine.help()) {
            System.out.print(CommandLine.helpText(Version.FLEECE));
            System.exit(0);
        }
        if (commandLine.version()) {
            System.out.println("fleece version 7.2.0 (Fleece " + Version.FLEECE + ")");
            System.out.println("A block-storage daemon that behaves like qemu-storage-daemon 7.2.");
            System.exit(0);
        }
        String readyPipe = System.getenv(READY_PIPE);
        if (commandLine.daemonize() && readyPipe == null) {
            fail("--daemonize: start the daemon with bin/fleece, which detaches it");
        }
        Daemon daemon = new Daemon();
        try {
            Logging.configure(commandLine.logLevel());
        } catch (CliError e) {
            fail("--log-level " + commandLine.logLevel() + ": " + e.getMessage());
        }
        try {
            daemon.start(commandLine);
        } catch (CliError e) {
            fail(e.getMessage());
        }
        if (commandLine.daemonize()) {
            signalReady(readyPipe);
        }
    }

    private static void signalReady(String pipe) {
        try (OutputStream out = Files.newOutputStream(Path.of(pipe), StandardOpenOption.WRITE)) {
            out.write("ready\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            fail("--daemonize: cannot tell the launcher we are ready: " + e.getMessage());
        }
    }

    private static void fail(String message) {
        System.err.println("fleece: " + message);
        System.exit(1);
    }
}
