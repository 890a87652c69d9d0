package dev.stagecraft.kvm;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.StagecraftException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * What {@link KvmProvider#discover()} finds: the domains whose metadata labels them as this provider's
 * environments, rebuilt as environments; on the way, the workspace overlays left without a domain are deleted.
 */
final class LabelledDomains {
    private LabelledDomains() {
    }

    static List<ExecutionEnvironment> discover(KvmProvider provider) {
        List<ExecutionEnvironment> found = new ArrayList<>();
        // overlays are listed before the domains: create defines a domain before making its overlay, so an overlay
        // seen here whose domain is missing from the later listing has no domain that could still use it
        List<Path> overlays = WorkspaceOverlay.list(provider.settings().overlayDirectory());
        try {
            Set<String> names = domainNames(provider.libvirt().connection());
            deleteOrphans(provider, overlays, names);
            for (String name : names) {
                if (name.startsWith(DomainXml.NAME_PREFIX)) {
                    environment(provider, name).ifPresent(found::add);
                }
            }
        } catch (LibvirtException e) {
            throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE,
                    "cannot list VMs at " + provider.settings().uri() + ": " + Libvirt.message(e), e);
        }
        return found;
    }

    /** The names of all domains, running and defined. */
    private static Set<String> domainNames(Connect connect) throws LibvirtException {
        Set<String> names = new LinkedHashSet<>();
        for (int domainId : connect.listDomains()) {
            try {
                names.add(connect.domainLookupByID(domainId).getName());
            } catch (LibvirtException e) {
                // it went away between the listing and the lookup
            }
        }
        for (String name : connect.listDefinedDomains()) {
            names.add(name);
        }
        return names;
    }

    /** Deletes the overlays whose domain is in neither the listing nor libvirt now. */
    private static void deleteOrphans(KvmProvider provider, List<Path> overlays, Set<String> names)
            throws LibvirtException {
        for (Path overlay : overlays) {
            if (!names.contains(WorkspaceOverlay.domainOf(overlay)) && provider.libvirt().lookup(WorkspaceOverlay.domainOf(overlay)).isEmpty()) {
                WorkspaceOverlay.delete(overlay);
            }
        }
    }

    /** The environment a domain of that name is, or empty when it is gone or not one of ours. */
    private static Optional<ExecutionEnvironment> environment(KvmProvider provider, String name) {
        try {
            Optional<Domain> domain = provider.libvirt().lookup(name);
            if (domain.isEmpty()) {
                return Optional.empty();
            }
            String xml = domain.get().getXMLDesc(0);
            Labels labels = DomainXml.labels(xml);
            if (!labels.isStagecraft() || !name.equals(DomainXml.domainName(labels.environmentId()))) {
                return Optional.empty();
            }
            KvmEnvironment env = new KvmEnvironment(provider, labels.environmentId(), labels,
                    DomainXml.serialLog(xml), DomainXml.hasInterface(xml), DomainXml.workspaceDisk(xml),
                    GuestLimits.fromKernelArguments(DomainXml.kernelArguments(xml), provider.settings().limits(0, 0)));
            return Optional.of(env);
        } catch (LibvirtException | IllegalArgumentException e) {
            // undefined meanwhile, or not readable as ours: not listed
            return Optional.empty();
        }
    }
}
