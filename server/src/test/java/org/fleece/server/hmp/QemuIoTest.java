package org.fleece.server.hmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.block.BlockGraph;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * qemu-io through HMP against real nodes. The stdout and stderr texts are the
 * real qemu-io 7.2.22's (Debian 1:7.2+dfsg-7+deb12u18), from runs such as
 * {@code qemu-io -f raw -c 'write -P 0x5a 0 4k' img} (stdout and stderr taken
 * apart with 2>file). The timing numbers differ: here the clock advances 1 ms
 * per reading, so every request takes 1 ms (00.00 sec, 1000.0000 ops/sec).
 * The HMP replies follow QEMU 7.2's monitor (see IOTESTS.md §2.5).
 */
class QemuIoTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ONE_MS = "00.00 sec";

    @TempDir
    Path dir;

    private final BlockGraph graph = new BlockGraph();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    /** One hour after the clock's origin, then 1 ms more at each reading. */
    private long clock = 3_600_000_000_000L;
    private final HmpCommands hmp = new HmpCommands(graph, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), () -> {
                long now = clock;
                clock += 1_000_000;
                return now;
            }, Runnable::run);
    private Path image;

    private record Result(String reply, String out, String err) {
    }

    private static JsonNode json(String text) throws IOException {
        return JSON.readTree(text.replace('\'', '"'));
    }

    @BeforeEach
    void nodes() throws IOException {
        image = dir.resolve("disk.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(1 << 20);
        }
        graph.add(json("{'driver':'file','node-name':'file0','filename':'" + image + "'}"));
        graph.add(json("{'driver':'raw','node-name':'disk0','file':'file0'}"));
        graph.add(json("{'driver':'file','node-name':'ro0','read-only':true,'filename':'" + image + "'}"));
        graph.add(json("{'driver':'null-co','node-name':'null0','size':65536,'read-zeroes':true}"));
    }

    private Result hmp(String commandLine) {
        out.reset();
        err.reset();
        String reply = hmp.execute(commandLine);
        return new Result(reply, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The reply is "" and stdout holds exactly this. */
    private void stdout(String commandLine, String expected) {
        assertThat(hmp(commandLine)).isEqualTo(new Result("", expected, ""));
    }

    private static String report(String op, long bytes, long offset, String size, String rate) {
        return op + " " + bytes + "/" + bytes + " bytes at offset " + offset + "\n"
                + size + ", 1 ops; " + ONE_MS + " (" + rate + "/sec and 1000.0000 ops/sec)\n";
    }

    /** The real qemu-io on a 4 MiB raw image with data at 1M and 3M prints exactly this one line. */
    @Test
    void mapShowsTheWholeRawNodeAllocated() {
        stdout("qemu-io disk0 \"write 0x80000 64k\"", report("wrote", 65536, 524288, "64 KiB", "62.500 MiB"));
        stdout("qemu-io disk0 \"map\"", "1 MiB (0x100000) bytes     allocated at offset 0 bytes (0x0)\n");
        assertThat(hmp("qemu-io disk0 \"map 0\"").err()).isEqualTo("bad argument count 1 to map, expected 0 arguments\n");
    }

    @Test
    void writeThenReadAPattern() throws IOException {
        stdout("qemu-io disk0 \"write -P 0x5a 0 4k\"", report("wrote", 4096, 0, "4 KiB", "3.906 MiB"));
        stdout("qemu-io disk0 \"read -P 0x5a 0 4k\"", report("read", 4096, 0, "4 KiB", "3.906 MiB"));
        byte[] data = Files.readAllBytes(image);
        assertThat(Arrays.copyOfRange(data, 0, 4096)).containsOnly(0x5a);
        assertThat(data[4096]).isZero();
    }

    @Test
    void aPatternMismatchIsReportedBeforeTheResult() {
        stdout("qemu-io disk0 \"write -P 0x5a 0 4k\"", report("wrote", 4096, 0, "4 KiB", "3.906 MiB"));
        stdout("qemu-io disk0 \"read -P 0x5b 0 4k\"", "Pattern verification failed at offset 0, 4096 bytes\n"
                + report("read", 4096, 0, "4 KiB", "3.906 MiB"));
        // -s/-l narrow the check; the offset shown is where the checked part starts.
        stdout("qemu-io disk0 \"read -P 5 -s 1 0 512\"", "Pattern verification failed at offset 1, 511 bytes\n"
                + report("read", 512, 0, "512 bytes", "500 KiB"));
        stdout("qemu-io disk0 \"read -P 0x5a -s 1 -l 10 0 512\"", report("read", 512, 0, "512 bytes", "500 KiB"));
        stdout("qemu-io disk0 \"read -P 0x5a -s 500 -l 13 0 512\"",
                "pattern verification range exceeds end of read data\n");
        // -q hides the result, not the mismatch.
        stdout("qemu-io disk0 \"read -qP 0x41 0 1\"", "Pattern verification failed at offset 0, 1 bytes\n");
        stdout("qemu-io disk0 \"read -q -P 0x5a 0 4k\"", "");
    }

    @Test
    void sizesInEveryUnit() {
        stdout("qemu-io null0 \"write 0 1234\"", report("wrote", 1234, 0, "1.205 KiB", "1.177 MiB"));
        stdout("qemu-io null0 \"write 0 1088\"", report("wrote", 1088, 0, "1.062 KiB", "1.038 MiB"));
        stdout("qemu-io null0 \"write 0 16\"", report("wrote", 16, 0, "16 bytes", "15.625 KiB"));
        stdout("qemu-io null0 \"read 0 0\"", report("read", 0, 0, "0 bytes", "0 bytes"));
        stdout("qemu-io null0 \"write -z 0 64k\"", report("wrote", 65536, 0, "64 KiB", "62.500 MiB"));
        stdout("qemu-io null0 \"read 0x200 0x200\"", report("read", 512, 512, "512 bytes", "500 KiB"));
    }

    @Test
    void failedRequestsPrintTheErrno() {
        stdout("qemu-io disk0 \"read 1M 4k\"", "read failed: Input/output error\n");
        stdout("qemu-io disk0 \"read 1020k 8k\"", "read failed: Input/output error\n");
        stdout("qemu-io disk0 \"write 0 1G\"", "write failed: Input/output error\n");
        stdout("qemu-io disk0 \"aio_write 1M 512\"", "aio_write failed: Input/output error\n");
        stdout("qemu-io disk0 \"discard 1M 512\"", "discard failed: Input/output error\n");
        stdout("qemu-io disk0 \"write -c 0 64k\"", "write failed: Operation not supported\n");
        stdout("qemu-io disk0 \"write -c 1M 512\"", "write failed: Input/output error\n");
        stdout("qemu-io disk0 \"read -b 0 512\"", "read failed: Operation not supported\n");
        stdout("qemu-io disk0 \"write -b 0 512\"", "write failed: Operation not supported\n");
        stdout("qemu-io disk0 \"write -b 1 512\"", "1 is not a sector-aligned value for 'offset'\n");
    }

    /**
     * The write permission is asked for before the command runs; for a
     * read-only node QEMU's error_report puts the refusal in the HMP reply
     * (qemu-io -r prints "qemu-io: Block node is read-only" on stderr).
     */
    @Test
    void aReadOnlyNodeRefusesCommandsThatWrite() {
        for (String command : new String[] {"write 0 4k", "write -x 0 1", "write -z 0 1", "aio_write 0 1",
                "discard 0 1"}) {
            assertThat(hmp("qemu-io ro0 \"" + command + "\"")).isEqualTo(
                    new Result("Block node is read-only\r\n", "", ""));
        }
        // The argument count is checked first; reads and flushes need no permission.
        assertThat(hmp("qemu-io ro0 \"write 0\"")).isEqualTo(
                new Result("", "", "bad argument count 1 to write, expected at least 2 arguments\n"));
        stdout("qemu-io ro0 \"read -q 0 4k\"", "");
        stdout("qemu-io ro0 \"flush\"", "");
    }

    @Test
    void zeroesDiscardFlushAndAio() throws IOException {
        stdout("qemu-io disk0 \"write -P 0x11 0 8k\"", report("wrote", 8192, 0, "8 KiB", "7.812 MiB"));
        stdout("qemu-io disk0 \"write -z -u 4k 4k\"", report("wrote", 4096, 4096, "4 KiB", "3.906 MiB"));
        stdout("qemu-io disk0 \"discard 64k 64k\"", report("discard", 65536, 65536, "64 KiB", "62.500 MiB"));
        stdout("qemu-io disk0 \"flush\"", "");
        stdout("qemu-io disk0 \"f\"", "");
        // aio_write adds up its lengths into one request.
        stdout("qemu-io disk0 \"aio_write -P 3 8k 512 512\"", report("wrote", 1024, 8192, "1 KiB", "1000 KiB"));
        stdout("qemu-io disk0 \"aio_flush\"", "");
        byte[] data = Files.readAllBytes(image);
        assertThat(Arrays.copyOfRange(data, 0, 4096)).containsOnly(0x11);
        assertThat(Arrays.copyOfRange(data, 4096, 8192)).containsOnly(0);
        assertThat(Arrays.copyOfRange(data, 8192, 9216)).containsOnly(3);
        // -z: QEMU never starts the stopwatch, so the time shown is the clock's own (here 1 hour).
        clock = 3_600_000_000_000L;
        stdout("qemu-io disk0 \"aio_write -z 0 512\"",
                "wrote 512/512 bytes at offset 0\n512 bytes, 1 ops; 1:00:00.00 (0.142222 bytes/sec and 0.0003 ops/sec)\n");
        stdout("qemu-io disk0 \"aio_write -z -P 3 0 512\"",
                "wrote 512/512 bytes at offset 0\n512 bytes, 1 ops; 1:00:00.00 (0.142222 bytes/sec and 0.0003 ops/sec)\n");
        stdout("qemu-io disk0 \"aio_write -q -P 1 0 512\"", "");
        stdout("qemu-io disk0 \"aio_write -i 0 1\"", "injecting invalid write request\n");
    }

    @Test
    void machineReadableAndQuiet() {
        stdout("qemu-io disk0 \"write -C 0 512\"", "512,1,0:00:00.00,512000.000,1000.000\n");
        stdout("qemu-io disk0 \"discard -C 0 512\"", "512,1,0:00:00.00,512000.000,1000.000\n");
        stdout("qemu-io disk0 \"write -C -q 0 512\"", "");
        stdout("qemu-io disk0 \"w -q 0 1\"", "");
        stdout("qemu-io disk0 \"d -q 0 512\"", "");
        stdout("qemu-io disk0 \"write -P 0x5 -q 0 1 -q\"", "");
    }

    @Test
    void verboseReadDumpsTheBuffer() {
        stdout("qemu-io disk0 \"write -q -P 0x20 0 4\"", "");
        stdout("qemu-io disk0 \"write -q -P 0x2e 4 4\"", "");
        stdout("qemu-io disk0 \"write -q -P 0xff 8 4\"", "");
        stdout("qemu-io disk0 \"write -q -P 0x7a 12 4\"", "");
        stdout("qemu-io disk0 \"write -q 16 4\"", "");
        stdout("qemu-io disk0 \"read -v 0 20\"",
                "00000000:  20 20 20 20 2e 2e 2e 2e ff ff ff ff 7a 7a 7a 7a  ............zzzz\n"
                + "00000010:  cd cd cd cd  ....\n"
                + report("read", 20, 0, "20 bytes", "19.531 KiB"));
        stdout("qemu-io disk0 \"write -q -P 0x41 0 40\"", "");
        stdout("qemu-io disk0 \"read -v 1 33\"",
                "00000001:  41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41  AAAAAAAAAAAAAAAA\n"
                + "00000011:  41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41  AAAAAAAAAAAAAAAA\n"
                + "00000021:  41  A\n"
                + report("read", 33, 1, "33 bytes", "32.227 KiB"));
    }

    @Test
    void writeFromASourceFile() throws IOException {
        Path source = Files.writeString(dir.resolve("src3"), "abc");
        Path empty = Files.createFile(dir.resolve("empty"));
        stdout("qemu-io disk0 \"write -s " + source + " 0 8\"", report("wrote", 8, 0, "8 bytes", "7.812 KiB"));
        assertThat(new String(Arrays.copyOf(Files.readAllBytes(image), 9), StandardCharsets.ISO_8859_1))
                .isEqualTo("abcabcab\0");
        assertThat(hmp("qemu-io disk0 \"write -s /nonexist 0 8\"")).isEqualTo(
                new Result("", "", "/nonexist: No such file or directory\n"));
        assertThat(hmp("qemu-io disk0 \"write -s " + empty + " 0 8\"")).isEqualTo(
                new Result("", "", empty + ": file is empty\n"));
        stdout("qemu-io disk0 \"write -s " + source + " -P 1 0 8\"",
                "Only one of -z, -P, and -s can be specified at the same time\n");
    }

    @Test
    void argumentErrors() {
        String readUsage = "read [-abCqv] [-P pattern [-s off] [-l len]] off len -- "
                + "reads a number of bytes at a specified offset\n";
        String writeUsage = "write [-bcCfnquz] [-P pattern | -s source_file] off len -- "
                + "writes a number of bytes at a specified offset\n";
        assertThat(hmp("qemu-io disk0 \"nosuch 1 2\"")).isEqualTo(new Result("", "", "command \"nosuch\" not found\n"));
        assertThat(hmp("qemu-io disk0 \"read\"")).isEqualTo(
                new Result("", "", "bad argument count 0 to read, expected at least 2 arguments\n"));
        assertThat(hmp("qemu-io disk0 \"read -P\"")).isEqualTo(
                new Result("", "", "bad argument count 1 to read, expected at least 2 arguments\n"));
        assertThat(hmp("qemu-io disk0 \"w\"")).isEqualTo(
                new Result("", "", "bad argument count 0 to w, expected at least 2 arguments\n"));
        assertThat(hmp("qemu-io disk0 \"f x\"")).isEqualTo(
                new Result("", "", "bad argument count 1 to f, expected 0 arguments\n"));
        assertThat(hmp("qemu-io disk0 \"aio_flush x\"")).isEqualTo(
                new Result("", "", "bad argument count 1 to aio_flush, expected 0 arguments\n"));
        assertThat(hmp("qemu-io disk0 \"read -x 0 1\"")).isEqualTo(
                new Result("", readUsage, "read: invalid option -- 'x'\n"));
        assertThat(hmp("qemu-io disk0 \"r -x 0 1\"")).isEqualTo(
                new Result("", readUsage, "r: invalid option -- 'x'\n"));
        assertThat(hmp("qemu-io disk0 \"w -x 0 1\"")).isEqualTo(
                new Result("", writeUsage, "w: invalid option -- 'x'\n"));
        assertThat(hmp("qemu-io disk0 \"read -1 1\"")).isEqualTo(
                new Result("", readUsage, "read: invalid option -- '1'\n"));
        assertThat(hmp("qemu-io disk0 \"read --foo 0 1\"")).isEqualTo(
                new Result("", readUsage, "read: invalid option -- '-'\n"));
        assertThat(hmp("qemu-io disk0 \"read -P 0 -: 0 1\"")).isEqualTo(
                new Result("", readUsage, "read: invalid option -- ':'\n"));
        assertThat(hmp("qemu-io disk0 \"aio_write -x 0 1\"")).isEqualTo(new Result("",
                "aio_write [-Cfiquz] [-P pattern] off len [len..] -- asynchronously writes a number of bytes\n",
                "aio_write: invalid option -- 'x'\n"));
        assertThat(hmp("qemu-io disk0 \"read 0 4k -P\"")).isEqualTo(
                new Result("", readUsage, "read: option requires an argument -- 'P'\n"));
        stdout("qemu-io disk0 \"read 0 1 2\"", readUsage);
        stdout("qemu-io disk0 \"read -P 0 1\"", readUsage);
        stdout("qemu-io disk0 \"read -s 1 0 512\"", readUsage);
        stdout("qemu-io disk0 \"discard 0 1 2\"", "discard [-Cq] off len -- discards a number of bytes at a specified offset\n");
        stdout("qemu-io disk0 \"read -P 256 0 1\"", "256 is not a valid pattern byte\n");
        stdout("qemu-io disk0 \"read -P -1 0 1\"", "-1 is not a valid pattern byte\n");
        stdout("qemu-io disk0 \"read -P 0x1g 0 1\"", "0x1g is not a valid pattern byte\n");
        stdout("qemu-io disk0 \"read -P ff 0 1\"", "ff is not a valid pattern byte\n");
        stdout("qemu-io disk0 \"aio_write -P 0x300 0 512\"", "0x300 is not a valid pattern byte\n");
        stdout("qemu-io disk0 \"read abc 1\"",
                "Parsing error: non-numeric argument, or extraneous/unrecognized suffix -- abc\n");
        stdout("qemu-io disk0 \"read 0 99999999999999999999\"",
                "Parsing error: argument too large -- 99999999999999999999\n");
        stdout("qemu-io disk0 \"read 0 3G\"", "length cannot exceed 2147483136, given 3G\n");
        stdout("qemu-io disk0 \"discard 0 3G\"", "length cannot exceed 2147483136, given 3G\n");
        stdout("qemu-io disk0 \"write 0 3G\"", "length cannot exceed 2147483136 without -n, given 3G\n");
        stdout("qemu-io disk0 \"write -z -n 0 3G\"", "write failed: Input/output error\n");
        stdout("qemu-io disk0 \"write -z -P 1 0 1\"", "Only one of -z, -P, and -s can be specified at the same time\n");
        stdout("qemu-io disk0 \"write -u 0 1\"", "-u requires -z to be specified\n");
        stdout("qemu-io disk0 \"write -n 0 1\"", "-n requires -z to be specified\n");
        stdout("qemu-io disk0 \"write -b -z 0 1\"", "-b and -z cannot be specified at the same time\n");
        stdout("qemu-io disk0 \"write -f -c 0 1\"", "-f and -b or -c cannot be specified at the same time\n");
        stdout("qemu-io disk0 \"aio_write -z 0 512 512\"", "-z supports only a single length parameter\n");
        stdout("qemu-io disk0 \"aio_write -u 0 512\"", "-u requires -z to be specified\n");
        stdout("qemu-io disk0 \"aio_write 0 3G\"", "Argument '3G' exceeds maximum size 2147483136\n");
        stdout("qemu-io disk0 \"aio_write 0 1G 1G 1G\"", "The total number of bytes exceed the maximum size 2147483136\n");
        // Empty or blank: nothing happens.
        stdout("qemu-io disk0 \"\"", "");
        stdout("qemu-io disk0 \"   \"", "");
    }

    @Test
    void options() {
        // Options after the operands (glibc permutes), clustered, attached, and "--".
        stdout("qemu-io disk0 \"write -q 0 4k -P 0x33\"", "");
        stdout("qemu-io disk0 \"read 0 4k -qP0x33\"", "");
        stdout("qemu-io disk0 \"read -q -- 0 1\"", "");
        stdout("qemu-io disk0 \"read   -q  0   512 \"", "");
        // After "--" an option is an operand: three operands.
        stdout("qemu-io disk0 \"read -q -P 0x33 -- 0 4k -v\"", "read [-abCqv] [-P pattern [-s off] [-l len]] off len -- "
                + "reads a number of bytes at a specified offset\n");
    }

    /** A raw node "bd" over blkdebug over the image; blkdebug's own lines go to the process's stdout, not here. */
    private void blkdebugNode() throws IOException {
        graph.add(json("{'driver':'raw','node-name':'bd','file':{'driver':'blkdebug','image':'file0',"
                + "'inject-error':[{'event':'read_aio','errno':28,'sector':8,'once':true}]}}"));
    }

    @Test
    void injectedErrorsPrintTheirErrno() throws IOException {
        blkdebugNode();
        stdout("qemu-io bd \"read 0 512\"", report("read", 512, 0, "512 bytes", "500 KiB"));
        stdout("qemu-io bd \"read 4096 512\"", "read failed: No space left on device\n");
        stdout("qemu-io bd \"read 4096 512\"", report("read", 512, 4096, "512 bytes", "500 KiB"));
    }

    @Test
    void aHeldAioWriteGivesTheMonitorBackAndCompletesWhenResumed() throws IOException {
        blkdebugNode();
        stdout("qemu-io bd \"break write_aio a\"", "");
        stdout("qemu-io bd \"aio_write -P 0x66 0 512\"", "");
        stdout("qemu-io bd \"wait_break a\"", "");
        assertThat(Files.readAllBytes(image)[0]).isZero();
        // The resumed request completes on its own thread, during resume or the aio_flush after it.
        String printed = hmp("qemu-io bd \"resume a\"").out() + hmp("qemu-io bd \"aio_flush\"").out();
        assertThat(printed).startsWith("wrote 512/512 bytes at offset 0\n");
        assertThat(Files.readAllBytes(image)[0]).isEqualTo((byte) 0x66);
    }

    @Test
    void breakpointErrors() throws IOException {
        blkdebugNode();
        stdout("qemu-io bd \"break bogus a\"", "Could not set breakpoint: No such file or directory\n");
        stdout("qemu-io bd \"resume a\"", "Could not resume request: No such file or directory\n");
        stdout("qemu-io bd \"remove_break a\"", "Could not remove breakpoint a: No such file or directory\n");
        stdout("qemu-io disk0 \"break write_aio a\"", "Could not set breakpoint: Operation not supported\n");
        stdout("qemu-io disk0 \"resume a\"", "Could not resume request: Operation not supported\n");
        stdout("qemu-io disk0 \"remove_break a\"", "Could not remove breakpoint a: Operation not supported\n");
        stdout("qemu-io disk0 \"wait_break a\"", "");
        assertThat(hmp("qemu-io bd \"break a\"").err()).isEqualTo("bad argument count 1 to break, expected 2 arguments\n");
    }
}
