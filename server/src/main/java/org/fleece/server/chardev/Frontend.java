package org.fleece.server.chardev;

/** What sits on a character device (a monitor): told about each client that becomes active. */
public interface Frontend {
    Handler connected(Connection connection);

    /** What a device without a frontend does with its input: drops it. */
    Handler IGNORE = new Handler() {
        @Override
        public void data(byte[] bytes, int length) {
        }

        @Override
        public void closed() {
        }
    };

    /**
     * Input and end of a connection, delivered on the connection's reader
     * thread, one call at a time. The next input is read only when
     * {@link #data} returns, so a slow handler holds the client back.
     */
    interface Handler {
        void data(byte[] bytes, int length);

        void closed();
    }
}
