package org.fleece.server.cli;

/** A command-line mistake: printed as "fleece: OPTION: message" before exiting with status 1. */
public final class CliError extends RuntimeException {
    public CliError(String message) {
        super(message, null, false, false);
    }
}
