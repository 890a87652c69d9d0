/** The Stagecraft core: selection pipeline, environment manager, plugin loading, configuration, audit. */
module dev.stagecraft.core {
    requires transitive dev.stagecraft.api;
    requires org.pf4j;
    requires com.google.guice;
    // Guice is an automatic module; the explicit modules it needs at run time must be resolved by someone.
    requires jakarta.inject;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;

    exports dev.stagecraft.core;
    exports dev.stagecraft.core.config;
    exports dev.stagecraft.core.manager;
    exports dev.stagecraft.core.plugin;
    exports dev.stagecraft.core.selection;

    opens dev.stagecraft.core to com.google.guice;

    uses dev.stagecraft.api.EnvironmentProvider;
    uses dev.stagecraft.api.selection.SelectionFilter;
    uses dev.stagecraft.api.selection.SelectionScorer;
}
