package org.fleece.server.hmp;

import java.util.ArrayList;
import java.util.List;

/**
 * Option scanning the way glibc's getopt() does it for qemu-io's commands:
 * options may follow operands (glibc permutes them), may be clustered
 * ("-qv") and take their argument attached ("-P0x5a") or as the next word;
 * "--" ends the options. Errors are reported on stderr with the command name
 * as argv[0] ("read: invalid option -- 'x'") and returned as '?'.
 */
final class GetOpt {
    private final String command;
    private final List<String> args;
    private final String optstring;
    private final Console console;
    private final List<String> operands = new ArrayList<>();
    /** The word being scanned, and the position of the next option letter in it (0: start a new word). */
    private int index = 1;
    private int letter;
    private String optarg;

    /** argv as qemu-io splits it: the command name first. */
    GetOpt(List<String> argv, String optstring, Console console) {
        this.command = argv.get(0);
        this.args = argv;
        this.optstring = optstring;
        this.console = console;
    }

    /** The next option letter, '?' after a reported error, or -1 once the options are done. */
    int next() {
        while (letter == 0) {
            if (index >= args.size()) {
                return -1;
            }
            String word = args.get(index);
            if (word.equals("--")) {
                operands.addAll(args.subList(index + 1, args.size()));
                index = args.size();
                return -1;
            }
            if (word.length() < 2 || word.charAt(0) != '-') {
                operands.add(word);
                index++;
                continue;
            }
            letter = 1;
        }
        String word = args.get(index);
        char c = word.charAt(letter++);
        boolean lastInWord = letter >= word.length();
        int spec = c == ':' ? -1 : optstring.indexOf(c);
        if (spec < 0) {
            console.err(command + ": invalid option -- '" + c + "'\n");
            if (lastInWord) {
                nextWord();
            }
            return '?';
        }
        boolean takesArgument = spec + 1 < optstring.length() && optstring.charAt(spec + 1) == ':';
        if (!takesArgument) {
            if (lastInWord) {
                nextWord();
            }
            return c;
        }
        if (!lastInWord) {
            optarg = word.substring(letter);
        } else if (index + 1 < args.size()) {
            optarg = args.get(++index);
        } else {
            console.err(command + ": option requires an argument -- '" + c + "'\n");
            nextWord();
            return '?';
        }
        nextWord();
        return c;
    }

    private void nextWord() {
        index++;
        letter = 0;
    }

    /** The argument of the option just returned. */
    String arg() {
        return optarg;
    }

    /** After next() returned -1: the words that are not options, in their order. */
    List<String> operands() {
        return operands;
    }
}
