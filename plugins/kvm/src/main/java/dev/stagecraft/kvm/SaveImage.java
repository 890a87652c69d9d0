package dev.stagecraft.kvm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A libvirt save file ({@code virDomainSave}): a 92-byte header (the magic {@code LibvirtQemudSave}, then little-endian
 * version, data length, was-running, compressed, cookie offset and 15 unused words), the domain XML and the cookie
 * inside {@code data length} bytes, then QEMU's migration stream.
 *
 * <p>libvirt restores a save file only under the name and UUID it was saved with. One boot serves many environments
 * by rewriting the XML in the header (name, UUID, labels, disk and log paths) and feeding the rest unchanged:
 * {@link #streamTo} writes that file into a FIFO that libvirtd reads, so no 100 MB copy is made per environment.
 */
final class SaveImage {
    static final int HEADER_BYTES = 92;
    private static final byte[] MAGIC = "LibvirtQemudSave".getBytes(StandardCharsets.US_ASCII);

    private final Path file;
    private final byte[] header;
    private final byte[] data;
    private final String xml;
    private final String cookie;

    private SaveImage(Path file, byte[] header, byte[] data, String xml, String cookie) {
        this.file = file;
        this.header = header;
        this.data = data;
        this.xml = xml;
        this.cookie = cookie;
    }

    /** Reads the header of a save file; fails with one line when it is not one libvirt wrote uncompressed. */
    static SaveImage read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, head, 0);
            byte[] header = head.array();
            if (!Arrays.equals(Arrays.copyOf(header, MAGIC.length), MAGIC)) {
                throw new IOException(file + " is not a libvirt save file");
            }
            int dataLength = head.getInt(20);
            int compressed = head.getInt(28);
            int cookieOffset = head.getInt(32);
            if (compressed != 0) {
                throw new IOException(file + " is compressed (qemu.conf save_image_format): only raw save files are restored");
            }
            if (dataLength <= 0 || dataLength > (16 << 20) || cookieOffset <= 0 || cookieOffset > dataLength) {
                throw new IOException(file + " has a damaged header");
            }
            ByteBuffer data = ByteBuffer.allocate(dataLength);
            readFully(channel, data, HEADER_BYTES);
            byte[] bytes = data.array();
            String xml = cString(bytes, 0, cookieOffset);
            String cookie = cString(bytes, cookieOffset, dataLength);
            return new SaveImage(file, header, bytes, xml, cookie);
        }
    }

    /** The domain XML the file was saved with. */
    String xml() {
        return xml;
    }

    /**
     * Writes the save file with {@code newXml} in place of its own into {@code target} (a FIFO libvirtd reads, or a
     * file): the same header and cookie, the XML and cookie laid out again inside the same data length.
     */
    void streamTo(String newXml, Path target) throws IOException {
        byte[] xmlBytes = newXml.getBytes(StandardCharsets.UTF_8);
        byte[] cookieBytes = cookie.getBytes(StandardCharsets.UTF_8);
        int cookieOffset = xmlBytes.length + 1;
        if (cookieOffset + cookieBytes.length + 1 > data.length) {
            throw new IOException("the new domain XML (" + xmlBytes.length + " bytes) does not fit the save file's "
                    + data.length + " bytes");
        }
        byte[] newData = new byte[data.length];
        System.arraycopy(xmlBytes, 0, newData, 0, xmlBytes.length);
        System.arraycopy(cookieBytes, 0, newData, cookieOffset, cookieBytes.length);
        ByteBuffer head = ByteBuffer.wrap(header.clone()).order(ByteOrder.LITTLE_ENDIAN);
        head.putInt(32, cookieOffset);
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.WRITE);
             FileChannel source = FileChannel.open(file, StandardOpenOption.READ)) {
            out.write(head.array());
            out.write(newData);
            try (InputStream rest = Channels.newInputStream(source.position(HEADER_BYTES + (long) data.length))) {
                rest.transferTo(out);
            }
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("the save file ends inside its header");
            }
        }
    }

    private static String cString(byte[] bytes, int from, int to) {
        int end = from;
        while (end < to && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, from, end - from, StandardCharsets.UTF_8);
    }
}
