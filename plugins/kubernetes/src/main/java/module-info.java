/**
 * The kubernetes provider. On the module path it is found through {@code provides}; inside a PF4J plugin (an unnamed
 * module) through META-INF/services. Both name the same class. fabric8's jars come from the plugin's lib/.
 */
module dev.stagecraft.kubernetes {
    requires dev.stagecraft.api;
    requires kubernetes.client.api;
    requires kubernetes.model.core;
    requires kubernetes.model.common;
    requires kubernetes.model.networking;
    requires kubernetes.model.node;
    requires kubernetes.model.admissionregistration;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.core;

    provides dev.stagecraft.api.EnvironmentProvider with dev.stagecraft.kubernetes.KubernetesProvider;
}
