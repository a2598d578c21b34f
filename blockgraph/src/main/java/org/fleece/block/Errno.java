package org.fleece.block;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/** The errno values block requests fail with, and the C library's words for them (as qemu-io prints them). */
public enum Errno {
    EPERM(1, "Operation not permitted"),
    EIO(5, "Input/output error"),
    EACCES(13, "Permission denied"),
    EINVAL(22, "Invalid argument"),
    ENOSPC(28, "No space left on device"),
    ENOTSUP(95, "Operation not supported");

    private final int number;
    private final String text;

    Errno(int number, String text) {
        this.number = number;
        this.text = text;
    }

    public int number() {
        return number;
    }

    public String text() {
        return text;
    }

    /** The words for a failed host file operation, as QEMU prints them in "Could not open 'F': ...". */
    public static String describe(IOException e) {
        if (e instanceof BlockIOException block) {
            return block.errno().text();
        }
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return EACCES.text();
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getMessage();
    }

    public static Errno byNumber(int number) {
        for (Errno e : values()) {
            if (e.number == number) {
                return e;
            }
        }
        return EIO;
    }
}
