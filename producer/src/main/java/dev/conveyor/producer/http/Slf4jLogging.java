package dev.conveyor.producer.http;

import io.helidon.logging.common.spi.LoggingProvider;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Helidon's logging provider for Conveyor: Helidon logs through {@code java.util.logging}, which
 * this routes to SLF4J (Logback in the launcher), so its lines look like every other line and obey
 * the same levels. Without a provider Helidon prints "There is no Helidon logging implementation on
 * classpath" to stderr at every start, and its own lines in the JDK's two-line format.
 */
public final class Slf4jLogging implements LoggingProvider {

    @Override
    public void initialization() {
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    @Override
    public void runTime() {
        initialization();
    }
}
