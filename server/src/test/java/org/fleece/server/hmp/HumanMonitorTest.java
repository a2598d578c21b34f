package org.fleece.server.hmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.block.BlockGraph;
import org.fleece.qapi.QmpError;
import org.fleece.server.qmp.CommandTable;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The HMP side: command lines, lookups and replies. There is no QEMU system
 * emulator here to record them from; the texts are QEMU 7.2's monitor
 * messages (monitor/hmp.c, block-hmp-cmds.c; the reply texts observed on a
 * 7.2 VM are listed in IOTESTS.md §2.5). "\r\n" ends every reply line.
 */
class HumanMonitorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TRY = "Try \"help qemu-io\" for more information\r\n";

    private final BlockGraph graph = new BlockGraph();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final HmpCommands hmp = new HmpCommands(graph, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), () -> 0, Runnable::run);

    HumanMonitorTest() throws IOException {
        graph.add(JSON.readTree("{\"driver\":\"null-co\",\"node-name\":\"null0\",\"size\":4096}"));
    }

    @Test
    void replies() {
        String[][] cases = {
            {"info block", "unknown command: 'info'\r\n"},
            {"  foo bar", "unknown command: '  foo'\r\n"},
            {"x/10i 0", "unknown command: 'x'\r\n"},
            {"qemu-io nope \"read 0 1\"", "Error: Cannot find device='' nor node-name='nope'\r\n"},
            {"qemu-io -d nope \"read 0 1\"", "Error: Device 'nope' not found\r\n"},
            {"qemu-io", "qemu-io: block device name expected\r\n" + TRY},
            {"qemu-io null0", "qemu-io: string expected\r\n" + TRY},
            {"qemu-io null0 read 0 1", "qemu-io: extraneous characters at the end of line\r\n" + TRY},
            {"qemu-io -x null0 \"read 0 1\"", "qemu-io: unsupported option -x\r\n" + TRY},
            // QEMU prints the missing option letter as a NUL, which ends the message, newline and all.
            {"qemu-io -", "qemu-io: unsupported option -" + TRY},
            {"qemu-io null0 \"read 0 1", "qemu-io: string expected\r\n" + TRY},
            {"qemu-io null0 \"\\x\"", "qemu-io: string expected\r\n" + TRY},
            {" qemu-io null0", "qemu-io: string expected\r\nTry \"help  qemu-io\" for more information\r\n"},
            {"qemu-io -dnope \"read 0 1\"", "Error: Device 'nope' not found\r\n"},
            {"", ""},
            {"   ", ""},
            {"qemu-io null0 \"read -q 0 1\"", ""},
            {"qemu-io null0 flush", ""},
            {"qemu-io \"null0\" \"read -q 0 1\"", ""},
            {"qemu-io null0 \"read 0 0x10k\"", "warning: Using a multiplier suffix on hex numbers is deprecated: 0x10k\r\n"},
        };
        SoftAssertions softly = new SoftAssertions();
        for (String[] c : cases) {
            softly.assertThat(hmp.execute(c[0])).as(c[0]).isEqualTo(c[1]);
        }
        softly.assertAll();
    }

    @Test
    void brokenQuotesAreReportedOnStdout() {
        hmp.execute("qemu-io null0 \"read 0 1");
        hmp.execute("qemu-io null0 \"\\x\"");
        assertThat(out.toString(StandardCharsets.UTF_8))
                .isEqualTo("unterminated string\nunsupported escape code: '\\x'\n");
    }

    @Test
    void escapesInTheQuotedCommand() {
        // \" and \\ stand for themselves; the command is then "read -q 0 1".
        assertThat(hmp.execute("qemu-io null0 \"read -q \\\\ 1\"")).isEmpty();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .isEqualTo("Parsing error: non-numeric argument, or extraneous/unrecognized suffix -- \\\n");
    }

    @Test
    void theQmpCommand() throws IOException {
        CommandTable table = new CommandTable();
        hmp.registerIn(table);
        JsonNode reply = table.handler("human-monitor-command")
                .run(JSON.readTree("{\"command-line\":\"qemu-io nope \\\"flush\\\"\"}"), null);
        assertThat(reply.asText()).isEqualTo("Error: Cannot find device='' nor node-name='nope'\r\n");
        assertThat(table.handler("human-monitor-command")
                .run(JSON.readTree("{\"command-line\":\"qemu-io null0 flush\",\"cpu-index\":0}"), null).asText())
                .isEmpty();
        assertThatThrownBy(() -> table.handler("human-monitor-command")
                .run(JSON.readTree("{\"command-line\":\"qemu-io null0 flush\",\"cpu-index\":1}"), null))
                .isInstanceOf(QmpError.class).hasMessage("Parameter 'cpu-index' expects a CPU number");
    }
}
