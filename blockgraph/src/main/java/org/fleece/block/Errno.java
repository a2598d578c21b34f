package org.fleece.block;

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

    public static Errno byNumber(int number) {
        for (Errno e : values()) {
            if (e.number == number) {
                return e;
            }
        }
        return EIO;
    }
}
