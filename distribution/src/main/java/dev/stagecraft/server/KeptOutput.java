package dev.stagecraft.server;

import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.OutputListener;
import java.io.ByteArrayOutputStream;

/**
 * Output streamed to another listener and also kept, up to the request's output limit for each stream, for a caller
 * that needs the whole result at the end: a streamed execute returns its result without the output it streamed.
 */
final class KeptOutput implements OutputListener {
    private final OutputListener live;
    private final long limit;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private boolean cut;

    KeptOutput(OutputListener live, long limit) {
        this.live = live;
        this.limit = limit;
    }

    @Override
    public void stdout(byte[] chunk, int offset, int length) {
        keep(stdout, chunk, offset, length);
        live.stdout(chunk, offset, length);
    }

    @Override
    public void stderr(byte[] chunk, int offset, int length) {
        keep(stderr, chunk, offset, length);
        live.stderr(chunk, offset, length);
    }

    private synchronized void keep(ByteArrayOutputStream kept, byte[] chunk, int offset, int length) {
        int room = (int) Math.max(0, Math.min(length, limit - kept.size()));
        kept.write(chunk, offset, room);
        cut |= room < length;
    }

    /** {@code streamed} with the output kept here; as it is where it carries output (a provider that cannot stream). */
    synchronized ExecResult into(ExecResult streamed) {
        if (streamed.stdout().length > 0 || streamed.stderr().length > 0) {
            return streamed;
        }
        return new ExecResult(streamed.exitCode(), stdout.toByteArray(), stderr.toByteArray(), streamed.duration(),
                streamed.termination(), streamed.truncated() || cut, streamed.detail());
    }
}
