package dev.stagecraft.kvm;

import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.StagecraftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/**
 * What {@link KvmProvider#probe()} reports: whether libvirtd answers, the domain type and why, whether the guest
 * images are there, and where the workspace lives; with the steps that fix what is missing.
 */
final class KvmProbe {
    private KvmProbe() {
    }

    static ProviderHealth probe(KvmProvider provider) {
        KvmSettings settings = provider.settings();
        Map<String, String> details = new LinkedHashMap<>();
        details.put("uri", settings.uri());
        String capabilities;
        try {
            Connect connect = provider.libvirt().connection();
            details.put("libvirt", version(connect.getLibVersion()));
            details.put("hypervisor", version(connect.getVersion()));
            capabilities = connect.getCapabilities();
        } catch (LinkageError e) {
            // libvirt-java's JNA binding could not load libvirt.so.0: the first use says NoClassDefFoundError, later
            // ones "Could not initialize class org.libvirt.jna.Libvirt"
            return ProviderHealth.unavailable("libvirt's client library (libvirt.so.0) cannot be loaded: "
                            + Libvirt.linkageMessage(e),
                    List.of("apt-get install libvirt0 (the client library; libvirt-daemon-system for the daemon too)",
                            "or run scripts/install-deps.sh"), details);
        } catch (LibvirtException | RuntimeException e) {
            String why = e instanceof LibvirtException ? Libvirt.message((LibvirtException) e) : e.toString();
            return ProviderHealth.unavailable("libvirtd is not reachable at " + settings.uri() + ": " + why,
                    List.of("apt-get install libvirt-daemon-system qemu-system-x86 (or run scripts/install-deps.sh)",
                            "start the daemons: virtlogd -d && libvirtd -d (or systemctl start libvirtd)",
                            "check: virsh -c " + settings.uri() + " version"), details);
        }
        Acceleration acceleration;
        try {
            acceleration = provider.resolveAcceleration(capabilities);
        } catch (StagecraftException e) {
            return ProviderHealth.unavailable(e.getMessage(), List.of("apt-get install qemu-system-x86",
                    "set providers.kvm.domain-type to auto or qemu"), details);
        }
        String type = acceleration.domainType();
        details.put("domain-type", type);
        details.put("domain-type-reason", acceleration.reason());
        details.put("kernel", settings.kernel().toString());
        details.put("initramfs", settings.initramfs().toString());
        details.put("workspace", provider.workspaceDescription());
        details.put("images", GuestImage.describe(settings));
        details.put("disk", provider.diskDescription());
        details.put("snapshots", settings.snapshots() ? "on: guests without a network are restored from a boot"
                + " snapshot per shape, " + settings.snapshotsKept() + " kept in " + settings.snapshotDirectory()
                + provider.snapshotProblem().map(p -> "; last problem: " + p).orElse("")
                : "off (providers.kvm.snapshots): every environment boots");
        provider.measuredBootToReady().ifPresent(boot -> details.put("boot-to-ready", boot.toMillis() + "ms"));
        List<String> missing = new ArrayList<>();
        for (Path image : List.of(settings.kernel(), settings.initramfs())) {
            if (!Files.isRegularFile(image) || !Files.isReadable(image)) {
                missing.add(image.toString());
            }
        }
        if (!missing.isEmpty()) {
            return ProviderHealth.unavailable("guest image missing: " + String.join(", ", missing),
                    List.of("build it: bash scripts/build-guest.sh (as root; part of scripts/install-deps.sh)",
                            "or point providers.kvm.kernel / providers.kvm.initramfs at a kernel and an initramfs that run qemu-ga"),
                    details);
        }
        String workspace = provider.workspaceUnavailableReason().map(why -> "; workspace in RAM (" + why + ")").orElse("");
        return ProviderHealth.available("libvirt " + details.get("libvirt") + ", domain type " + type
                + " (" + acceleration.reason() + ")" + workspace, details);
    }

    private static String version(long v) {
        return (v / 1_000_000) + "." + (v / 1000 % 1000) + "." + (v % 1000);
    }
}
