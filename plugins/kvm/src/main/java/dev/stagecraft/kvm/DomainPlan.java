package dev.stagecraft.kvm;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.StagecraftException;
import java.nio.file.Path;
import java.util.Optional;

/** Everything create decides before touching libvirt, from the spec and the settings. */
record DomainPlan(String name, String type, Labels labels, Optional<Path> serialLog, boolean networked,
                  Optional<Path> overlay, long workspaceBytes, GuestImage image, GuestLimits limits,
                  DomainXml.Definition definition) {

    /** The VM's vCPUs and memory for what a requirement asks (its GPUs as asked: a plan refuses any). */
    static Resources size(Resources wanted, KvmSettings settings) {
        int vcpus = wanted.cpus() > 0 ? (int) Math.ceil(wanted.cpus()) : settings.vcpus();
        // a stated memory is the commands' limit (the guest's cgroup); the VM gets the guest's own share on top
        long memory = wanted.memoryBytes() > 0
                ? Math.max(settings.memoryBytes(), wanted.memoryBytes() + settings.memoryOverheadBytes())
                : settings.memoryBytes();
        return new Resources(vcpus, memory, wanted.diskBytes(), wanted.gpus());
    }

    static DomainPlan of(EnvironmentSpec spec, KvmProvider provider) {
        KvmSettings settings = provider.settings();
        EnvironmentRequirement requirement = spec.requirement();
        if (requirement.gpu()) {
            throw StagecraftException.invalidRequirement("the kvm provider cannot attach GPUs");
        }
        if (requirement.network() && settings.network().isEmpty()) {
            throw StagecraftException.invalidRequirement("network access was asked for, but providers.kvm.network"
                    + " (a libvirt network name) is not configured: kvm VMs get no network interface");
        }
        Resources wanted = requirement.resources();
        Resources size = size(wanted, settings);
        int vcpus = (int) size.cpus();
        long memory = size.memoryBytes();
        if (vcpus > settings.maxVcpus() || memory > settings.maxMemoryBytes()) {
            throw StagecraftException.invalidRequirement("VM of " + vcpus + " vCPUs and " + (memory >> 20)
                    + " MiB is over this provider's ceiling (" + settings.maxVcpus() + " vCPUs, "
                    + (settings.maxMemoryBytes() >> 20) + " MiB)");
        }
        String type = provider.domainType();
        Labels labels = spec.labels().get(Labels.KIND).isPresent() ? spec.labels()
                : spec.labels().with(Labels.KIND, KvmProvider.KIND);
        if (!labels.isStagecraft()) {
            labels = labels.with(Labels.OWNER, provider.owner()).with(Labels.ENVIRONMENT_ID, spec.id());
        }
        String name = DomainXml.domainName(spec.id());
        Optional<Path> serialLog = SerialConsole.logFor(settings.logDirectory(), name);
        boolean networked = requirement.network() && !settings.network().isEmpty();
        Optional<Path> overlay = provider.workspaceUnavailableReason().isEmpty()
                ? Optional.of(WorkspaceOverlay.pathFor(settings.overlayDirectory(), name)) : Optional.empty();
        if (requirement.persistentStorage() && overlay.isEmpty()) {
            throw StagecraftException.invalidRequirement("a persistent workspace was asked for, but "
                    + provider.workspaceDescription());
        }
        long workspaceBytes = 0;
        if (wanted.diskBytes() > 0) {
            Optional<String> unsized = overlay.isEmpty() ? Optional.of(provider.workspaceDescription())
                    : SizedWorkspaceBase.unavailableReason();
            if (unsized.isPresent()) {
                throw StagecraftException.invalidRequirement("a disk size was asked for, but the workspace cannot be"
                        + " sized: " + unsized.get());
            }
            workspaceBytes = SizedWorkspaceBase.sizeFor(wanted.diskBytes(), settings.maxWorkspaceBytes());
        }
        GuestImage image = GuestImage.forToolType(requirement.toolType(), settings);
        GuestLimits limits = settings.limits(wanted.memoryBytes(), GuestLimits.cpuQuotaFor(wanted.cpus(), vcpus));
        String kernelArguments = settings.kernelArguments() + (image.root().isPresent() ? " stagecraft.root=1" : "")
                + " stagecraft.workspace=" + (overlay.isPresent() ? 1 : 0) + " " + limits.kernelArguments();
        DomainXml.Definition definition = new DomainXml.Definition(name, type, memory, vcpus, settings.kernel(),
                settings.initramfs(), kernelArguments, settings.machine(), labels, serialLog,
                networked ? settings.network() : "", overlay, image);
        return new DomainPlan(name, type, labels, serialLog, networked, overlay, workspaceBytes, image, limits,
                definition);
    }

    /** The domain XML create defines. */
    String xml() {
        return DomainXml.build(definition);
    }
}
