/**
 * The Stagecraft provider SPI. Depends on the JDK alone: a third party writes an environment provider
 * (and, if it wants, its own selection stages) against this module and nothing else.
 */
module dev.stagecraft.api {
    exports dev.stagecraft.api;
    exports dev.stagecraft.api.selection;
}
