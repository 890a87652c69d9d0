package dev.stagecraft.kvm;

import dev.stagecraft.api.Labels;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * Builds an environment's libvirt domain XML, and reads the labels back out of a domain's {@code <metadata>}.
 * The labels live in an element of Stagecraft's own namespace, one {@code <sc:label name="...">value</sc:label>}
 * per label, which libvirt keeps verbatim.
 */
final class DomainXml {
    static final String NAMESPACE = "https://stagecraft.dev/xmlns/kvm/1";
    static final String PREFIX = "stagecraft";
    static final String NAME_PREFIX = "stagecraft-";
    static final String ROOT_DISK_SERIAL = "stagecraft-root";

    private DomainXml() {
    }

    /**
     * What one domain is made of. {@code network} is a libvirt network name, or empty for no interface at all;
     * {@code workspaceDisk} the qcow2 overlay mounted at /workspace, or empty for a workspace in RAM.
     */
    record Definition(String name, String type, long memoryBytes, int vcpus, Path kernel, Path initramfs,
                      String kernelArguments, String machine, Labels labels, Optional<Path> serialLog,
                      String network, Optional<Path> workspaceDisk, GuestImage image) {
    }

    static String domainName(String environmentId) {
        return NAME_PREFIX + environmentId;
    }

    static String build(Definition d) {
        long kib = Math.max(64L << 10, d.memoryBytes() >> 10);
        StringBuilder x = new StringBuilder(2048);
        x.append("<domain type='").append(esc(d.type())).append("'>\n");
        x.append("  <name>").append(esc(d.name())).append("</name>\n");
        x.append("  <title>Stagecraft environment ").append(esc(d.labels().environmentId())).append("</title>\n");
        x.append("  <metadata>\n");
        x.append("    <").append(PREFIX).append(":environment xmlns:").append(PREFIX).append("='").append(NAMESPACE).append("'>\n");
        for (Map.Entry<String, String> label : d.labels().values().entrySet()) {
            x.append("      <").append(PREFIX).append(":label name='").append(esc(label.getKey())).append("'>")
                    .append(esc(label.getValue())).append("</").append(PREFIX).append(":label>\n");
        }
        x.append("    </").append(PREFIX).append(":environment>\n");
        x.append("  </metadata>\n");
        x.append("  <memory unit='KiB'>").append(kib).append("</memory>\n");
        x.append("  <currentMemory unit='KiB'>").append(kib).append("</currentMemory>\n");
        x.append("  <vcpu placement='static'>").append(d.vcpus()).append("</vcpu>\n");
        x.append("  <os>\n");
        x.append("    <type arch='x86_64' machine='").append(esc(d.machine())).append("'>hvm</type>\n");
        x.append("    <kernel>").append(esc(d.kernel().toString())).append("</kernel>\n");
        x.append("    <initrd>").append(esc(d.initramfs().toString())).append("</initrd>\n");
        x.append("    <cmdline>").append(esc(d.kernelArguments())).append("</cmdline>\n");
        x.append("  </os>\n");
        x.append("  <features><acpi/></features>\n");
        x.append("  <clock offset='utc'/>\n");
        x.append("  <on_poweroff>destroy</on_poweroff>\n");
        x.append("  <on_reboot>destroy</on_reboot>\n");
        x.append("  <on_crash>destroy</on_crash>\n");
        x.append("  <devices>\n");
        if (d.serialLog().isPresent()) {
            x.append("    <serial type='file'><source path='").append(esc(d.serialLog().get().toString()))
                    .append("'/><target port='0'/></serial>\n");
        } else {
            x.append("    <serial type='pty'><target port='0'/></serial>\n");
        }
        x.append("    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>\n");
        if (d.workspaceDisk().isPresent()) {
            x.append("    <disk type='file' device='disk'><driver name='qemu' type='qcow2' discard='unmap'/><source file='")
                    .append(esc(d.workspaceDisk().get().toString())).append("'/><target dev='vda' bus='virtio'/><serial>")
                    .append(WorkspaceOverlay.DISK_SERIAL).append("</serial></disk>\n");
        }
        if (d.image().root().isPresent()) {
            // read-only for QEMU too, so one file serves every VM of the image and no guest can change it
            x.append("    <disk type='file' device='disk'><driver name='qemu' type='").append(d.image().format())
                    .append("'/><source file='").append(esc(d.image().root().get().toString()))
                    .append("'/><target dev='vdb' bus='virtio'/><readonly/><serial>").append(ROOT_DISK_SERIAL)
                    .append("</serial></disk>\n");
        }
        if (!d.network().isEmpty()) {
            x.append("    <interface type='network'><source network='").append(esc(d.network()))
                    .append("'/><model type='virtio'/></interface>\n");
        }
        x.append("    <controller type='usb' model='none'/>\n");
        x.append("    <memballoon model='none'/>\n");
        x.append("  </devices>\n");
        x.append("</domain>\n");
        return x.toString();
    }

    /** The labels in a domain's metadata; empty when the domain carries none of ours. */
    static Labels labels(String domainXml) {
        Document doc = parse(domainXml);
        NodeList nodes = doc.getElementsByTagNameNS(NAMESPACE, "label");
        Map<String, String> values = new TreeMap<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            Element e = (Element) nodes.item(i);
            values.put(e.getAttribute("name"), e.getTextContent());
        }
        return new Labels(values);
    }

    /** The {@code type} attribute of the domain element ({@code kvm} or {@code qemu}). */
    static String type(String domainXml) {
        return parse(domainXml).getDocumentElement().getAttribute("type");
    }

    /** Whether the domain has any network interface. */
    static boolean hasInterface(String domainXml) {
        return parse(domainXml).getElementsByTagName("interface").getLength() > 0;
    }

    /** The file of the workspace disk (the disk whose serial is {@link WorkspaceOverlay#DISK_SERIAL}), if any. */
    static Optional<Path> workspaceDisk(String domainXml) {
        NodeList disks = parse(domainXml).getElementsByTagName("disk");
        for (int i = 0; i < disks.getLength(); i++) {
            Element disk = (Element) disks.item(i);
            NodeList serials = disk.getElementsByTagName("serial");
            NodeList sources = disk.getElementsByTagName("source");
            if (serials.getLength() > 0 && WorkspaceOverlay.DISK_SERIAL.equals(serials.item(0).getTextContent().trim())
                    && sources.getLength() > 0) {
                String file = ((Element) sources.item(0)).getAttribute("file");
                if (!file.isEmpty()) {
                    return Optional.of(Path.of(file));
                }
            }
        }
        return Optional.empty();
    }

    /** The kernel command line of a domain's direct kernel boot, empty when it has none. */
    static String kernelArguments(String domainXml) {
        NodeList lines = parse(domainXml).getElementsByTagName("cmdline");
        return lines.getLength() > 0 ? lines.item(0).getTextContent() : "";
    }

    /** The path of the file-backed serial console, if any. */
    static Optional<Path> serialLog(String domainXml) {
        NodeList serials = parse(domainXml).getElementsByTagName("serial");
        for (int i = 0; i < serials.getLength(); i++) {
            Element serial = (Element) serials.item(i);
            if ("file".equals(serial.getAttribute("type"))) {
                NodeList sources = serial.getElementsByTagName("source");
                if (sources.getLength() > 0) {
                    String path = ((Element) sources.item(0)).getAttribute("path");
                    if (!path.isEmpty()) {
                        return Optional.of(Path.of(path));
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static Document parse(String xml) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            return builder.parse(new InputSource(new StringReader(xml)));
        } catch (Exception e) {
            throw new IllegalArgumentException("unreadable domain XML: " + e.getMessage(), e);
        }
    }

    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&': out.append("&amp;"); break;
                case '<': out.append("&lt;"); break;
                case '>': out.append("&gt;"); break;
                case '\'': out.append("&apos;"); break;
                case '"': out.append("&quot;"); break;
                default: out.append(c);
            }
        }
        return out.toString();
    }
}
