package dev.stagecraft.api;

/**
 * Receives a running command's output as it is produced (streaming execute). Called from the provider's
 * reader threads; implementations must be thread-safe and must not block for long. Chunks past the output
 * limit are not delivered.
 */
public interface OutputListener {
    void stdout(byte[] chunk, int offset, int length);

    void stderr(byte[] chunk, int offset, int length);

    /** A listener that drops everything. */
    OutputListener DISCARD = new OutputListener() {
        @Override
        public void stdout(byte[] chunk, int offset, int length) {
        }

        @Override
        public void stderr(byte[] chunk, int offset, int length) {
        }
    };
}
