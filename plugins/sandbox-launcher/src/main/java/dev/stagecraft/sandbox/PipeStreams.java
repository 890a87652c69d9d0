package dev.stagecraft.sandbox;

import dev.stagecraft.sandbox.libc.LibC;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/** Java streams over the parent's ends of a {@link NativeSpawn}ed child's pipes. Each closes its descriptor once. */
final class PipeStreams {
    private static final int CHUNK = 64 * 1024;

    private PipeStreams() {
    }

    /** Reads a pipe with blocking read(2) calls; end of stream when every writer has closed it. */
    static final class In extends InputStream {
        private final int fd;
        private final Pointer buffer = Memory.allocateDirect(NativeSpawn.runtime(), CHUNK);
        private boolean closed;

        In(int fd) {
            this.fd = fd;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("stream closed");
            }
            if (len == 0) {
                return 0;
            }
            while (true) {
                long n = NativeSpawn.lib().read(fd, buffer, Math.min(len, CHUNK));
                if (n > 0) {
                    buffer.get(0, b, off, (int) n);
                    return (int) n;
                }
                if (n == 0) {
                    return -1;
                }
                int error = NativeSpawn.lastError();
                if (error != LibC.EINTR) {
                    throw new IOException("read: " + NativeSpawn.strerror(error));
                }
            }
        }

        /**
         * Whether there is something to read (or the writer is gone) within {@code within}: poll(2), so that a caller
         * never blocks forever on a child that neither writes nor exits.
         */
        boolean readable(Duration within) {
            Pointer pollfd = Memory.allocateDirect(NativeSpawn.runtime(), 8);
            pollfd.putInt(0, fd);
            pollfd.putShort(4, LibC.POLLIN);
            long end = System.nanoTime() + within.toNanos();
            while (true) {
                int left = (int) Math.max(0, Math.min(Integer.MAX_VALUE, (end - System.nanoTime()) / 1_000_000));
                int ready = NativeSpawn.lib().poll(pollfd, 1, left);
                if (ready > 0) {
                    return true;
                }
                if (ready == 0 || NativeSpawn.lastError() != LibC.EINTR) {
                    return false;
                }
            }
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                NativeSpawn.lib().close(fd);
            }
        }
    }

    /** Writes a pipe with blocking write(2) calls; a reader that went away fails the write (EPIPE). */
    static final class Out extends OutputStream {
        private final int fd;
        private final Pointer buffer = Memory.allocateDirect(NativeSpawn.runtime(), CHUNK);
        private boolean closed;

        Out(int fd) {
            this.fd = fd;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("stream closed");
            }
            while (len > 0) {
                int chunk = Math.min(len, CHUNK);
                buffer.put(0, b, off, chunk);
                int done = 0;
                while (done < chunk) {
                    long n = NativeSpawn.lib().write(fd, buffer.slice(done), chunk - done);
                    if (n < 0) {
                        int error = NativeSpawn.lastError();
                        if (error == LibC.EINTR) {
                            continue;
                        }
                        throw new IOException("write: " + NativeSpawn.strerror(error));
                    }
                    done += (int) n;
                }
                off += chunk;
                len -= chunk;
            }
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                NativeSpawn.lib().close(fd);
            }
        }
    }
}
