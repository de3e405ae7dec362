package dev.conveyor.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The machine and infrastructure a run measured: figures mean little without them.
 *
 * @param ramMb total memory from {@code /proc/meminfo}, or -1 when unknown
 */
public record MachineInfo(Instant date, String cpuModel, int cores, long ramMb, String os, String jdk,
        long maxHeapMb, String kafka, String postgres, String fsync, String synchronousCommit, double loadAverage) {

    /** This machine, and the Kafka and PostgreSQL of {@code infra}. */
    public static MachineInfo probe(Infrastructure infra) {
        String kafka = "Kafka " + Infrastructure.kafkaVersion()
                + (infra.embeddedKafka() ? " (embedded KRaft broker in the bench JVM)"
                        : " (external: " + infra.bootstrap() + ")");
        String pg = "PostgreSQL " + infra.pgSetting("server_version")
                + (infra.embeddedPostgres() ? " (embedded, zonky binaries)" : " (external)");
        return new MachineInfo(Instant.now(), readCpuModel(), Runtime.getRuntime().availableProcessors(), readRamMb(),
                String.join(" ", System.getProperty("os.name"), System.getProperty("os.version"),
                        System.getProperty("os.arch")),
                Runtime.version() + " (" + System.getProperty("java.vendor") + ")", Runtime.getRuntime().maxMemory() >> 20,
                kafka, pg, infra.pgSetting("fsync"), infra.pgSetting("synchronous_commit"),
                Line.round3(java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    }

    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("date", date.toString());
        json.put("cpu_model", cpuModel);
        json.put("cores", cores);
        json.put("ram_mb", ramMb);
        json.put("os", os);
        json.put("jdk", jdk);
        json.put("max_heap_mb", maxHeapMb);
        json.put("kafka", kafka);
        json.put("postgres", postgres);
        json.put("postgres_fsync", fsync);
        json.put("postgres_synchronous_commit", synchronousCommit);
        json.put("load_average_1m_at_start", loadAverage);
        return json;
    }

    static String readCpuModel() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            return lines.stream().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown (" + System.getProperty("os.arch") + ")";
        }
    }

    static long readRamMb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: unknown.
        }
        return -1;
    }
}
