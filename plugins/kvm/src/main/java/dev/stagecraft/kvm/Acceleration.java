package dev.stagecraft.kvm;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The domain type environments get, {@code kvm} (hardware virtualization) or {@code qemu} (TCG, emulation), and
 * the reason for it that {@link KvmProvider#probe()} reports.
 */
record Acceleration(String domainType, String reason) {
    /** Written by scripts/setup.d/30-kvm.sh after booting a test guest under KVM: "kvm ..." or "qemu ...". */
    static final String ACCEL_VERDICT = "accel.verdict";

    private static final Pattern GUEST = Pattern.compile("<guest>(.*?)</guest>", Pattern.DOTALL);

    /** kvm where libvirt offers it for x86_64 and the setup's boot test did not find it broken; qemu otherwise. */
    static Acceleration decide(String capabilities, KvmSettings settings) {
        boolean qemuOffered = false;
        boolean kvmOffered = false;
        Matcher guests = GUEST.matcher(capabilities);
        while (guests.find()) {
            String guest = guests.group(1);
            if (guest.contains("<arch name='x86_64'>") && guest.contains("<os_type>hvm</os_type>")) {
                qemuOffered |= guest.contains("<domain type='qemu'");
                kvmOffered |= guest.contains("<domain type='kvm'");
            }
        }
        String type;
        String reason;
        switch (settings.domainType()) {
            case "kvm":
                if (!kvmOffered) {
                    throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE,
                            "providers.kvm.domain-type is kvm but libvirt offers no kvm domains on this host (no usable /dev/kvm)");
                }
                type = "kvm";
                reason = "configured";
                break;
            case "qemu":
                type = "qemu";
                reason = "configured (TCG)";
                break;
            default:
                if (!kvmOffered) {
                    type = "qemu";
                    reason = "TCG: libvirt offers no kvm domain type here (no usable /dev/kvm)";
                } else {
                    Optional<String> verdict = accelVerdict(settings.imageDirectory());
                    if (verdict.isPresent() && verdict.get().startsWith("qemu")) {
                        type = "qemu";
                        reason = "TCG: /dev/kvm is present but a test guest did not boot under it ("
                                + settings.imageDirectory().resolve(ACCEL_VERDICT) + ")";
                    } else {
                        type = "kvm";
                        reason = verdict.isPresent() ? "KVM, verified by booting a test guest" : "KVM offered by libvirt";
                    }
                }
        }
        if (type.equals("qemu") && !qemuOffered) {
            throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE,
                    "libvirt offers no x86_64 qemu domain type (is qemu-system-x86 installed?)");
        }
        return new Acceleration(type, reason);
    }

    private static Optional<String> accelVerdict(Path imageDirectory) {
        try {
            String text = Files.readString(imageDirectory.resolve(ACCEL_VERDICT), StandardCharsets.UTF_8).trim();
            return text.isEmpty() ? Optional.empty() : Optional.of(text);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
