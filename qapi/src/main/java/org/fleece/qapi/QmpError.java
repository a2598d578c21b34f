package org.fleece.qapi;

/**
 * A failure a QMP client sees: a class and a description in QEMU's words.
 * Thrown anywhere below the monitor; the monitor turns it into {"error": ...}.
 * No stack trace: it is an answer, not a bug.
 */
public final class QmpError extends RuntimeException {
    private final ErrorClass errorClass;

    public QmpError(ErrorClass errorClass, String desc) {
        super(desc, null, false, false);
        this.errorClass = errorClass;
    }

    public static QmpError generic(String desc) {
        return new QmpError(ErrorClass.GenericError, desc);
    }

    public ErrorClass errorClass() {
        return errorClass;
    }

    public String desc() {
        return getMessage();
    }
}
