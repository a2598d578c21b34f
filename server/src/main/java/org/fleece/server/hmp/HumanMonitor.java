package org.fleece.server.hmp;

/**
 * One HMP command line, as human-monitor-command runs it: the first word
 * names the command (it ends at white space or '/'), its arguments are parsed,
 * the command runs, and whatever went to the monitor is the reply. Fleece's
 * HMP has one command, qemu-io; an empty line does nothing.
 */
final class HumanMonitor {
    private final HmpQemuIo qemuIo;

    HumanMonitor(HmpQemuIo qemuIo) {
        this.qemuIo = qemuIo;
    }

    /** Runs the line; returns the monitor's output (lines end in "\r\n"). */
    String execute(String line, Console console) {
        int p = 0;
        while (p < line.length() && Numbers.isSpace(line.charAt(p))) {
            p++;
        }
        if (p == line.length()) {
            return console.reply();
        }
        int start = p;
        while (p < line.length() && line.charAt(p) != '/' && !Numbers.isSpace(line.charAt(p))) {
            p++;
        }
        String name = line.substring(start, p);
        // Both messages quote the line from its very start (leading blanks included) to the end of the name.
        String typed = line.substring(0, p);
        if (!name.equals(HmpQemuIo.NAME)) {
            console.monitor("unknown command: '" + typed + "'\n");
            return console.reply();
        }
        try {
            qemuIo.run(new HmpArguments(name, line, p, console), console);
        } catch (HmpArguments.Failed e) {
            console.monitor(e.getMessage());
            console.monitor("Try \"help " + typed + "\" for more information\n");
        }
        return console.reply();
    }
}
