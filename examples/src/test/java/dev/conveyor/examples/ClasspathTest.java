package dev.conveyor.examples;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The examples are built like a user's extension project on {@code conveyor-api}: their test
 * classpath (which includes the provided API) must hold none of the status store's libraries.
 * The enforcer rule in {@code pom.xml} checks the declared dependencies; this checks what is
 * actually loadable.
 */
class ClasspathTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "org.jooq.DSLContext",                  // jOOQ
        "com.zaxxer.hikari.HikariDataSource",   // HikariCP
        "org.postgresql.Driver",                // pgjdbc
        "org.flywaydb.core.Flyway",             // Flyway
        "dev.conveyor.store.StatusStore",       // conveyor-store
        "dev.conveyor.worker.Worker",           // conveyor-worker, which brings all of the above
    })
    void theStoreIsNotOnTheClasspath(String className) {
        assertThatThrownBy(() -> Class.forName(className)).isInstanceOf(ClassNotFoundException.class);
    }
}
