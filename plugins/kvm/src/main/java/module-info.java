/**
 * The kvm provider: one libvirt domain per environment, driven through the QEMU guest agent. On the module
 * path it is found through {@code provides}; inside a PF4J plugin (an unnamed module) through
 * META-INF/services. libvirt-java (automatic module {@code libvirt}) calls the system's libvirt.so.0 via JNA;
 * Jackson reads and writes the guest agent's JSON. All three come from the plugin's lib/.
 */
module dev.stagecraft.kvm {
    requires dev.stagecraft.api;
    requires java.xml;
    requires libvirt;
    requires com.sun.jna;
    requires com.fasterxml.jackson.databind;

    provides dev.stagecraft.api.EnvironmentProvider with dev.stagecraft.kvm.KvmProvider;
}
