package dev.conveyor.testing;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves {@link TestKafka} (one per test JVM, started on first use) and {@link TestDatabase}
 * (one per test class, on the one PostgreSQL server of the test JVM) for tests annotated with
 * {@link ConveyorIntegrationTest}.
 *
 * <p>Shared resources live in the root extension context's store, so JUnit closes them once,
 * after the last test of the JVM; per-class databases live in the class context's store and are
 * dropped when the class ends.
 */
public final class InfrastructureExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(InfrastructureExtension.class);
    private static final AtomicInteger SCHEMA_COUNTER = new AtomicInteger();

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == TestKafka.class || type == TestDatabase.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        try {
            if (type == TestKafka.class) {
                return kafka(context);
            }
            return database(context);
        } catch (RuntimeException e) {
            throw new ParameterResolutionException("Could not start test infrastructure for " + type.getSimpleName()
                    + ": " + e.getMessage(), e);
        }
    }

    /** The broker of this test JVM, started on first use. */
    public static TestKafka kafka(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(TestKafka.class, k -> TestKafka.start(), TestKafka.class);
    }

    /** The PostgreSQL server of this test JVM, started (or connected to) on first use. */
    static TestPostgres postgres(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(TestPostgres.class, k -> TestPostgres.start(), TestPostgres.class);
    }

    /** The database schema of the current test class, created and migrated on first use. */
    public static TestDatabase database(ExtensionContext context) {
        ExtensionContext classContext = classContext(context);
        TestPostgres server = postgres(context);
        return classContext.getStore(NAMESPACE).getOrComputeIfAbsent(TestDatabase.class,
                k -> TestDatabase.create(server, schemaName(classContext)), TestDatabase.class);
    }

    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext current = context;
        while (current.getTestMethod().isPresent() && current.getParent().isPresent()) {
            current = current.getParent().get();
        }
        return current;
    }

    private static String schemaName(ExtensionContext classContext) {
        String base = classContext.getTestClass().map(Class::getSimpleName).orElse("test")
                .toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "_");
        if (base.length() > 40) {
            base = base.substring(0, 40);
        }
        return "t_" + base + "_" + ProcessHandle.current().pid() + "_" + SCHEMA_COUNTER.incrementAndGet();
    }
}
