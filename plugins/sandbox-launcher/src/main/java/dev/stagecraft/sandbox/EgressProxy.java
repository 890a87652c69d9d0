package dev.stagecraft.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * The filtering proxy a sandbox with a host-name allowlist is forced through: an HTTP proxy on this host's loopback,
 * one per command, reached from inside at the user-mode network's gateway ({@link UserModeNetwork#GATEWAY}; the
 * egress rules let the sandbox reach that one port of the host and nothing else of it). It serves {@code CONNECT
 * host:port} (HTTPS and any TCP) and plain HTTP requests in absolute form (one per connection), only to a name on
 * the allowlist ({@code example.com}, or {@code *.example.com} for its subdomains), and only when the name resolves
 * to an address outside the denied ranges and the host's own (so a name pointed at 127.0.0.1 or the metadata service
 * gets nowhere). Anything else is answered 403 with the reason. Programs find it through {@code HTTP_PROXY},
 * {@code HTTPS_PROXY} and their lower-case forms.
 */
final class EgressProxy implements AutoCloseable {
    private static final int HEAD_LIMIT = 16 * 1024;
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final byte[] END_OF_HEAD = {'\r', '\n', '\r', '\n'};

    private final ServerSocket server;
    private final List<String> allowHosts;
    private final Predicate<InetAddress> denied;

    private EgressProxy(ServerSocket server, List<String> allowHosts, Predicate<InetAddress> denied) {
        this.server = server;
        this.allowHosts = List.copyOf(allowHosts);
        this.denied = denied;
    }

    /** Starts a proxy for {@code allowHosts} on an ephemeral port of 127.0.0.1. */
    static EgressProxy start(List<String> allowHosts, Predicate<InetAddress> denied) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        EgressProxy proxy = new EgressProxy(server, allowHosts, denied);
        DrainThreads.start(proxy::acceptAll);
        return proxy;
    }

    int port() {
        return server.getLocalPort();
    }

    /** Whether {@code host} is on the allowlist: the name itself, or a subdomain of a {@code *.} entry. */
    static boolean allowed(List<String> allowHosts, String host) {
        String name = host.toLowerCase(Locale.ROOT);
        name = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        for (String entry : allowHosts) {
            if (entry.startsWith("*.") ? name.endsWith(entry.substring(1)) : name.equals(entry)) {
                return true;
            }
        }
        return false;
    }

    private void acceptAll() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                DrainThreads.start(() -> serve(client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            client.setSoTimeout(30_000);
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            byte[] head = readHead(in);
            if (head == null) {
                refuse(out, 400, "the request is not HTTP or its head is over 16 KiB");
                return;
            }
            String text = new String(head, StandardCharsets.ISO_8859_1);
            String[] line = text.substring(0, text.indexOf("\r\n")).split(" ");
            if (line.length != 3) {
                refuse(out, 400, "a request line is METHOD TARGET VERSION");
                return;
            }
            boolean connect = line[0].equals("CONNECT");
            String host;
            int port;
            String forward = null;
            if (connect) {
                int colon = line[1].lastIndexOf(':');
                host = colon > 0 ? line[1].substring(0, colon) : line[1];
                port = colon > 0 ? parsePort(line[1].substring(colon + 1)) : 443;
            } else {
                URI uri = URI.create(line[1]);
                if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                    refuse(out, 400, "only CONNECT and http:// requests in absolute form go through this proxy");
                    return;
                }
                host = uri.getHost();
                port = uri.getPort() < 0 ? 80 : uri.getPort();
                forward = originForm(line, uri, text);
            }
            if (port <= 0 || !allowed(allowHosts, host)) {
                refuse(out, 403, host + " is not on this environment's allowlist (" + String.join(", ", allowHosts) + ")");
                return;
            }
            InetAddress target = resolve(host);
            if (target == null) {
                refuse(out, 403, host + " resolves to no address this environment may reach (the host, link-local "
                        + "and private ranges are denied)");
                return;
            }
            try (Socket upstream = new Socket()) {
                upstream.connect(new InetSocketAddress(target, port), CONNECT_TIMEOUT_MS);
                upstream.setSoTimeout(0);
                client.setSoTimeout(0);
                if (connect) {
                    out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                } else {
                    upstream.getOutputStream().write(forward.getBytes(StandardCharsets.ISO_8859_1));
                }
                out.flush();
                var back = DrainThreads.start(() -> pump(upstream, client));
                pump(client, upstream);
                try {
                    back.get();
                } catch (Exception ignored) {
                    // the other direction ended too
                }
            } catch (IOException e) {
                refuse(out, 502, "cannot reach " + host + ":" + port + ": " + e.getMessage());
            }
        } catch (IOException | RuntimeException ignored) {
            // the client went away or sent something unparseable: nothing to answer
        }
    }

    /** The request with its target in origin form, the proxy's own headers dropped, and the connection closed after. */
    private static String originForm(String[] line, URI uri, String head) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        StringBuilder out = new StringBuilder(line[0]).append(' ').append(path)
                .append(uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()).append(' ').append(line[2]).append("\r\n");
        for (String header : head.substring(head.indexOf("\r\n") + 2).split("\r\n")) {
            String lower = header.toLowerCase(Locale.ROOT);
            if (!header.isEmpty() && !lower.startsWith("proxy-") && !lower.startsWith("connection:") && !lower.startsWith("keep-alive:")) {
                out.append(header).append("\r\n");
            }
        }
        return out.append("Connection: close\r\n\r\n").toString();
    }

    private InetAddress resolve(String host) {
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (!denied.test(address)) {
                    return address;
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static int parsePort(String text) {
        try {
            int port = Integer.parseInt(text);
            return port > 0 && port < 65536 ? port : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The request head up to its blank line (one byte at a time: what follows belongs to the tunnel), or null. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (head.size() < HEAD_LIMIT) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = b == END_OF_HEAD[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == END_OF_HEAD.length) {
                return head.toByteArray();
            }
        }
        return null;
    }

    private static void refuse(OutputStream out, int status, String why) throws IOException {
        String reason = status == 403 ? "Forbidden" : status == 502 ? "Bad Gateway" : "Bad Request";
        byte[] body = ("stagecraft: " + why + "\n").getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private static void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
            }
            to.shutdownOutput();
        } catch (IOException ignored) {
            // either side closed
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing a listening socket: nothing to report
        }
    }
}
