package org.fleece.qapi;

/**
 * A failure a QMP client sees: a class and a description in QEMU's words.
 * Thrown anywhere below the monitor; the monitor turns it into {"error": ...}.
 * No stack trace: it is an answer, not a bug.
 */
public final class QmpError extends RuntimeException {
    private final ErrorClass errorClass;
    private final String hint;

    public QmpError(ErrorClass errorClass, String desc) {
        this(errorClass, desc, null);
    }

    private QmpError(ErrorClass errorClass, String desc, String hint) {
        super(desc, null, false, false);
        this.errorClass = errorClass;
        this.hint = hint;
    }

    /**
     * The same error with a hint: advice that QEMU prints after the message
     * on a human's console (HMP, the command line) but never sends over QMP.
     */
    public QmpError withHint(String hint) {
        return new QmpError(errorClass, getMessage(), hint);
    }

    /** The hint with its final newline, or null. */
    public String hint() {
        return hint;
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
