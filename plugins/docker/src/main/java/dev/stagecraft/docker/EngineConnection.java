package dev.stagecraft.docker;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 exchange with the Engine on its own connection, for the calls docker-java's transport does not
 * serve well: the exec start, whose connection is hijacked for stdin/stdout/stderr and must be half-closed after
 * stdin so the command sees end-of-file; the container attach of the exec agent ({@link AgentChannel}), hijacked the
 * same way and kept open; and the archive GET, whose {@code X-Docker-Container-Path-Stat} header tells a symlink from
 * a file before any content is read.
 *
 * <p>A blocking {@link SocketChannel} (unix or TCP) is read and written directly, not through
 * {@code Channels.newInputStream}, whose reads hold a lock that would block the stdin writer.
 */
final class EngineConnection implements Closeable {
    private final SocketChannel channel;
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;
    private int status;
    private String reason = "";
    private final Map<String, String> headers = new LinkedHashMap<>();
    private InputStream body;

    private EngineConnection(SocketChannel channel) {
        this.channel = channel;
    }

    static EngineConnection open(URI host) throws IOException {
        SocketChannel channel;
        if ("unix".equals(host.getScheme())) {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(host.getPath()));
            } catch (IOException e) {
                channel.close();
                throw e;
            }
        } else {
            channel = SocketChannel.open(new InetSocketAddress(host.getHost(), host.getPort()));
        }
        return new EngineConnection(channel);
    }

    /** Sends a request and reads the status line and headers; the body is then {@link #body()}. */
    EngineConnection send(String method, String path, Map<String, String> extraHeaders, byte[] content) throws IOException {
        StringBuilder head = new StringBuilder();
        head.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: docker\r\nUser-Agent: stagecraft-docker\r\n");
        for (Map.Entry<String, String> h : extraHeaders.entrySet()) {
            head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        if (content != null) {
            head.append("Content-Length: ").append(content.length).append("\r\n");
        }
        head.append("\r\n");
        write(head.toString().getBytes(StandardCharsets.US_ASCII));
        if (content != null && content.length > 0) {
            write(content);
        }
        readHead();
        return this;
    }

    int status() {
        return status;
    }

    String reason() {
        return reason;
    }

    String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The response body: de-chunked, bounded by Content-Length, or the rest of the connection (hijacked streams). */
    InputStream body() {
        if (body == null) {
            InputStream raw = new RawInput();
            String encoding = header("transfer-encoding");
            String length = header("content-length");
            if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
                body = new ChunkedInput(raw);
            } else if (length != null && status != 101) {
                body = new BoundedInput(raw, Long.parseLong(length.trim()));
            } else {
                body = raw;
            }
        }
        return body;
    }

    /** The body as text, at most {@code max} bytes (for error messages). */
    String bodyText(int max) {
        try {
            return new String(body().readNBytes(max), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    void write(byte[] bytes) throws IOException {
        write(bytes, 0, bytes.length);
    }

    void write(byte[] bytes, int offset, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes, offset, length);
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }

    /** Half-closes the connection: the Engine closes the command's stdin. */
    void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to do with a connection that fails to close
        }
    }

    private int fill() throws IOException {
        if (position < limit) {
            return limit - position;
        }
        int n = channel.read(ByteBuffer.wrap(buffer));
        if (n <= 0) {
            return -1;
        }
        position = 0;
        limit = n;
        return n;
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            if (fill() < 0) {
                throw new EOFException("the Engine closed the connection in the middle of a response header");
            }
            byte b = buffer[position++];
            if (b == '\n') {
                break;
            }
            if (b != '\r') {
                line.write(b);
            }
            if (line.size() > 65536) {
                throw new IOException("response header line longer than 64 KiB");
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    private void readHead() throws IOException {
        String statusLine = readLine();
        List<String> parts = List.of(statusLine.split(" ", 3));
        if (parts.size() < 2 || !parts.get(0).startsWith("HTTP/")) {
            throw new IOException("not an HTTP response from the Engine: " + statusLine);
        }
        status = Integer.parseInt(parts.get(1));
        reason = parts.size() > 2 ? parts.get(2) : "";
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
    }

    /** The connection's bytes after the header, through the same buffer. */
    private final class RawInput extends InputStream {
        @Override
        public int read() throws IOException {
            return fill() < 0 ? -1 : buffer[position++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int available = fill();
            if (available < 0) {
                return -1;
            }
            int n = Math.min(available, len);
            System.arraycopy(buffer, position, b, off, n);
            position += n;
            return n;
        }
    }

    /** A stream defined by its block read; a single byte is a block of one. */
    private abstract static class BlockInput extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }
    }

    private static final class BoundedInput extends BlockInput {
        private final InputStream in;
        private long left;

        BoundedInput(InputStream in, long length) {
            this.in = in;
            this.left = length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }

    private static final class ChunkedInput extends BlockInput {
        private final InputStream in;
        private long chunkLeft;
        private boolean done;

        ChunkedInput(InputStream in) {
            this.in = in;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (chunkLeft == 0) {
                String size = line();
                int semicolon = size.indexOf(';');
                chunkLeft = Long.parseLong((semicolon >= 0 ? size.substring(0, semicolon) : size).trim(), 16);
                if (chunkLeft == 0) {
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, chunkLeft));
            if (n < 0) {
                throw new EOFException("the Engine closed the connection in the middle of a chunk");
            }
            chunkLeft -= n;
            if (chunkLeft == 0) {
                line();
            }
            return n;
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new EOFException("the Engine closed the connection in the middle of a chunk header");
                }
                if (c != '\r') {
                    sb.append((char) c);
                }
            }
            return sb.toString();
        }
    }

    /** Fills {@code into} from {@code in}; false when the stream ends first (a frame header, say, cut short). */
    static boolean readFully(InputStream in, byte[] into) throws IOException {
        int read = 0;
        while (read < into.length) {
            int n = in.read(into, read, into.length - read);
            if (n < 0) {
                return false;
            }
            read += n;
        }
        return true;
    }

    /** Cancels the timers of a finished call; null ones were never scheduled. */
    static void cancel(java.util.concurrent.Future<?>... timers) {
        for (java.util.concurrent.Future<?> timer : timers) {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }
}
