package org.fleece.server.hmp;

/**
 * Reads an HMP command's arguments from the rest of its command line, the
 * way HMP's argument parser does for the argument types qemu-io has: a flag
 * ("-d"), then words. A word is either bare (up to the next white space) or
 * in double quotes, where \\, \", \', \n and \r are the escapes; it is cut at
 * 1023 characters. HMP writes its complaints about escapes and quotes to the
 * process's stdout; what it reports to the monitor is thrown as {@link Failed}.
 */
final class HmpArguments {
    private static final int MAX_WORD = 1023;

    /** A parse error; the message is the monitor text as HMP prints it. */
    static final class Failed extends Exception {
        Failed(String message) {
            super(message, null, false, false);
        }
    }

    private final String command;
    private final String line;
    private final Console console;
    private int p;

    HmpArguments(String command, String line, int start, Console console) {
        this.command = command;
        this.line = line;
        this.p = start;
        this.console = console;
    }

    /**
     * An optional flag: "-X" sets it; a dash followed by another letter is
     * refused. The flag's letter may run into the next word ("-dfoo").
     */
    boolean flag(char letter) throws Failed {
        skipSpace();
        if (p >= line.length() || line.charAt(p) != '-') {
            return false;
        }
        p++;
        if (p >= line.length()) {
            // QEMU formats the missing letter as a NUL and loses the rest of the line with it.
            throw new Failed(command + ": unsupported option -");
        }
        char c = line.charAt(p);
        if (c != letter) {
            throw new Failed(command + ": unsupported option -" + c + "\n");
        }
        p++;
        return true;
    }

    /** A word; missing (or a broken quoted word) is "COMMAND: WHAT expected". */
    String word(String what) throws Failed {
        skipSpace();
        String word = p < line.length() ? read() : null;
        if (word == null) {
            throw new Failed(command + ": " + what + " expected\n");
        }
        return word;
    }

    private String read() {
        StringBuilder word = new StringBuilder();
        int n = line.length();
        if (line.charAt(p) != '"') {
            while (p < n && !Numbers.isSpace(line.charAt(p))) {
                append(word, line.charAt(p++));
            }
            return word.toString();
        }
        p++;
        while (p < n && line.charAt(p) != '"') {
            char c = line.charAt(p++);
            if (c == '\\') {
                char escaped = p < n ? line.charAt(p++) : '\0';
                switch (escaped) {
                    case 'n' -> c = '\n';
                    case 'r' -> c = '\r';
                    case '\\', '\'', '"' -> c = escaped;
                    default -> {
                        console.out("unsupported escape code: '\\" + escaped + "'\n");
                        return null;
                    }
                }
            }
            append(word, c);
        }
        if (p >= n) {
            console.out("unterminated string\n");
            return null;
        }
        p++;
        return word.toString();
    }

    private static void append(StringBuilder word, char c) {
        if (word.length() < MAX_WORD) {
            word.append(c);
        }
    }

    /** Nothing but white space may follow the last argument. */
    void end() throws Failed {
        skipSpace();
        if (p < line.length()) {
            throw new Failed(command + ": extraneous characters at the end of line\n");
        }
    }

    private void skipSpace() {
        while (p < line.length() && Numbers.isSpace(line.charAt(p))) {
            p++;
        }
    }
}
