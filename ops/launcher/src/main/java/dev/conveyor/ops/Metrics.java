package dev.conveyor.ops;

import com.zaxxer.hikari.HikariDataSource;
import dev.conveyor.store.db.Database;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import javax.sql.DataSource;

/**
 * The process's one meter registry, in Prometheus format. Conveyor's own meters are named
 * {@code conveyor.*} (exposed as {@code conveyor_*}); the JVM, process and HikariCP meters keep
 * the standard Micrometer names ({@code jvm_*}, {@code process_*}, {@code system_*},
 * {@code hikaricp_*}) so existing dashboards for them work unchanged.
 */
final class Metrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();

    Metrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Prometheus text exposition of every meter. */
    String scrape() {
        return registry.scrape();
    }

    /** Adds the pool's {@code hikaricp_*} meters. */
    void bind(Database database) {
        DataSource ds = database.dataSource();
        if (ds instanceof HikariDataSource hikari && hikari.getMetricRegistry() == null
                && hikari.getMetricsTrackerFactory() == null) {
            try {
                hikari.setMetricRegistry(registry);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(Metrics.class).warn("No HikariCP metrics: {}", e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
