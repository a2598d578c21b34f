package org.fleece.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import org.fleece.server.cli.CliError;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.Set;

/** Sets the log level chosen with --log-level. Where logs go is set once in {@link LogConfigurator}. */
final class Logging {
    private static final Set<String> LEVELS = Set.of("error", "warn", "info", "debug", "trace");

    private Logging() {
    }

    static void configure(String level) {
        String name = level.toLowerCase(Locale.ROOT);
        if (!LEVELS.contains(name)) {
            throw new CliError("unknown level (use error, warn, info, debug or trace)");
        }
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(name));
    }
}
