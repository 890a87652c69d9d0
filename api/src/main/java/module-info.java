/**
 * The Stagecraft provider SPI. Depends on the JDK alone: a third party writes an environment provider
 * against this module and nothing else.
 */
module dev.stagecraft.api {
    exports dev.stagecraft.api;
    exports dev.stagecraft.api.selection;

    uses dev.stagecraft.api.EnvironmentProvider;
}
