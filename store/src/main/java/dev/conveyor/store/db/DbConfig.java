package dev.conveyor.store.db;

import dev.conveyor.migrations.Migrations;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Database settings ({@code db.*} in {@code conveyor.yaml}).
 *
 * @param url JDBC URL of a PostgreSQL database ({@code db.url})
 * @param user user name, or null when the URL carries it ({@code db.user})
 * @param password password, or null ({@code db.password})
 * @param poolSize most connections the process opens ({@code db.pool-size}, default 10)
 * @param schema schema holding Conveyor's tables ({@code db.schema}, default public)
 */
public record DbConfig(String url, String user, String password, int poolSize, String schema) {

    /** Default of {@code db.url}. */
    public static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/conveyor";
    /** Default of {@code db.user}. */
    public static final String DEFAULT_USER = "conveyor";
    /** Default of {@code db.pool-size}. */
    public static final int DEFAULT_POOL_SIZE = 10;

    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    /** @throws IllegalArgumentException naming the {@code db.*} key that is invalid */
    public DbConfig {
        Objects.requireNonNull(url, "db.url");
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("db.url must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db), was '"
                    + url + "'");
        }
        if (poolSize < 1 || poolSize > 1000) {
            throw new IllegalArgumentException("db.pool-size must be between 1 and 1000, was " + poolSize);
        }
        schema = schema == null ? Migrations.DEFAULT_SCHEMA : schema;
        if (!SCHEMA_NAME.matcher(schema).matches()) {
            throw new IllegalArgumentException("db.schema must be a lower-case SQL identifier, was '" + schema + "'");
        }
        if (password != null && password.isEmpty()) {
            password = null;
        }
    }

    /** Settings for {@code url} with the default user, no password, default pool size and schema. */
    public static DbConfig of(String url) {
        return new DbConfig(url, DEFAULT_USER, null, DEFAULT_POOL_SIZE, null);
    }

    /** The settings without the password, for the one-line configuration log. */
    @Override
    public String toString() {
        return "DbConfig[url=" + url + ", user=" + user + ", password=" + (password == null ? "<none>" : "***")
                + ", poolSize=" + poolSize + ", schema=" + schema + "]";
    }
}
