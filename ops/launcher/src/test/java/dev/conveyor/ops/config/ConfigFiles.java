package dev.conveyor.ops.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Loads a configuration a test writes: {@code conveyor.yaml} in {@code dir}, with the given environment. */
public final class ConfigFiles {

    private ConfigFiles() {}

    public static ConveyorConfig load(Path dir, String yaml, Map<String, String> env) throws IOException {
        Path file = dir.resolve("conveyor.yaml");
        Files.writeString(file, yaml);
        return ConveyorConfig.load(file, env);
    }
}
