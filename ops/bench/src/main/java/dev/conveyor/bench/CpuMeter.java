package dev.conveyor.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a measured window cost: this JVM's CPU time (client, servers, broker, worker alike; wrk
 * and PostgreSQL run outside it), the whole machine's busy CPU from {@code /proc/stat} (so
 * other processes competing for the cores show up), garbage collection and JIT compilation time.
 */
record CpuMeter(long nanos, long jvmCpu, long[] machine, long gcCount, long gcMillis, long jit0,
        Map<Long, ThreadCpu> threads) {

    /** A platform thread's name (digits as N, so pools group) and CPU time so far. */
    private record ThreadCpu(String group, long nanos) {}

    static CpuMeter start() {
        long[] gc = gc();
        return new CpuMeter(System.nanoTime(), jvmCpuNanos(), machineJiffies(), gc[0], gc[1], jitMillis(),
                threadCpu());
    }

    Window stop() {
        Map<Long, ThreadCpu> after = threadCpu();
        long[] gc = gc();
        long[] m = machineJiffies();
        long jvm = jvmCpuNanos() - jvmCpu;
        double seconds = (System.nanoTime() - nanos) / 1e9;
        double machineBusy = -1;
        if (m != null && machine != null && m[1] > machine[1]) {
            machineBusy = (double) (m[0] - machine[0]) / (m[1] - machine[1]) * m[2];
        }
        // CPU per thread group over the window; what no live Java thread accounts for is the VM's
        // own work (JIT compiler threads, garbage collector threads) and threads that ended.
        Map<String, Long> byGroup = new java.util.HashMap<>();
        long attributed = 0;
        for (var e : after.entrySet()) {
            ThreadCpu before = threads.get(e.getKey());
            long used = e.getValue().nanos() - (before == null ? 0 : before.nanos());
            if (used > 0) {
                byGroup.merge(e.getValue().group(), used, Long::sum);
                attributed += used;
            }
        }
        Map<String, Double> top = new java.util.LinkedHashMap<>();
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(byGroup.entrySet());
        sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        long rest = 0;
        for (int i = 0; i < sorted.size(); i++) {
            if (i < 8) {
                top.put(sorted.get(i).getKey(), Line.round3(sorted.get(i).getValue() / 1e9 / seconds));
            } else {
                rest += sorted.get(i).getValue();
            }
        }
        top.put("(other threads)", Line.round3(rest / 1e9 / seconds));
        top.put("(unattributed: JIT, GC, ended threads)", Line.round3(Math.max(0, jvm - attributed) / 1e9 / seconds));
        return new Window(seconds, jvm / 1e9 / seconds, machineBusy, gc[0] - gcCount, gc[1] - gcMillis,
                jitMillis() - jit0, top);
    }

    private static long jitMillis() {
        var jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    private static Map<Long, ThreadCpu> threadCpu() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, ThreadCpu> cpu = new java.util.HashMap<>();
        if (!mx.isThreadCpuTimeSupported()) {
            return cpu;
        }
        for (java.lang.management.ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long nanos = mx.getThreadCpuTime(info.getThreadId());
            if (nanos >= 0) {
                cpu.put(info.getThreadId(), new ThreadCpu(info.getThreadName().replaceAll("\\d+", "N"), nanos));
            }
        }
        return cpu;
    }

    private static long jvmCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    private static long[] gc() {
        long count = 0;
        long millis = 0;
        for (var bean : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, bean.getCollectionCount());
            millis += Math.max(0, bean.getCollectionTime());
        }
        return new long[] {count, millis};
    }

    /** Busy and total jiffies over all CPUs, and the number of CPUs; null off Linux. */
    private static long[] machineJiffies() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
            String[] f = lines.get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            long cpus = lines.stream().filter(l -> l.matches("cpu\\d+ .*")).count();
            return new long[] {total - idle, total, cpus};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * @param jvmCores this JVM's CPU time over the window, in cores
     * @param machineCores the machine's busy CPU over the window, in cores (-1 when unknown)
     */
    record Window(double seconds, double jvmCores, double machineCores, long gcCount, long gcMillis,
            long jitMillis, Map<String, Double> threadCores) {

        void put(Line line, String prefix) {
            ObjectNode json = line.json();
            json.put(prefix + "jvm_cpu_cores_busy", Line.round3(jvmCores));
            if (machineCores >= 0) {
                json.put(prefix + "machine_cpu_cores_busy", Line.round3(machineCores));
            }
            json.put(prefix + "gc_count", gcCount);
            json.put(prefix + "gc_ms", gcMillis);
            json.put(prefix + "jit_ms", jitMillis);
            ObjectNode threads = json.putObject(prefix + "jvm_cpu_cores_by_thread");
            threadCores.forEach(threads::put);
        }
    }
}
