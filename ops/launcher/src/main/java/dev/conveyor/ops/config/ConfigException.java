package dev.conveyor.ops.config;

/** An invalid configuration: the message names the key and the reason. Stops start-up. */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ConfigException(String key, String reason) {
        super(key + ": " + reason, null, false, false);
    }
}
