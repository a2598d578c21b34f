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

    /** Input and end of a connection, delivered on the connection's thread. */
    interface Handler {
        void data(byte[] bytes, int length);

        /**
         * The client shut down its sending side (as `printf ... | socat` does): it
         * still reads, so what it sent is answered before the connection is closed.
         */
        default void inputEnded() {
        }

        void closed();
    }
}
