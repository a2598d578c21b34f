package org.fleece.block.driver.qcow2;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;

/** QEMU's tools, which judge the images the qcow2 tests write. */
final class QemuImg {
    record Result(int exitCode, String output) {
    }

    private QemuImg() {
    }

    static Result run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            return new Result(process.waitFor(), output);
        } catch (IOException | InterruptedException e) {
            return new Result(-1, e.toString());
        }
    }

    /** What the command printed, stdout and stderr together. */
    static String output(String... command) {
        return run(command).output();
    }

    static void assumeInstalled() {
        Assumptions.assumeTrue(run("qemu-img", "--version").exitCode() == 0, "qemu-img is not installed");
    }
}
