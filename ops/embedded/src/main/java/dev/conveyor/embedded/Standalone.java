package dev.conveyor.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Local infrastructure as separate processes, for multi-process setups on one machine
 * ({@code ops/bin/kafka-local}, {@code ops/bin/postgres-local}):
 * <pre>
 * java ... dev.conveyor.embedded.Standalone kafka    DIR HOST:PORT
 * java ... dev.conveyor.embedded.Standalone postgres DIR PORT
 * </pre>
 * Runs until killed; data stays in DIR between runs.
 */
public final class Standalone {

    private Standalone() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3 || !(args[0].equals("kafka") || args[0].equals("postgres"))) {
            System.err.println("usage: Standalone kafka DIR HOST:PORT | Standalone postgres DIR PORT");
            System.exit(2);
        }
        Path dir = Path.of(args[1]);
        AutoCloseable running;
        if (args[0].equals("kafka")) {
            String[] hostPort = args[2].split(":");
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, hostPort[0], Integer.parseInt(hostPort[1]));
            System.out.println("kafka ready at " + broker.bootstrap() + " (data in " + dir + ")");
            running = broker;
        } else {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false)
                    .setPort(Integer.parseInt(args[2])).start();
            System.out.println("postgres ready at " + pg.getJdbcUrl("postgres", "postgres") + " (data in " + dir + ")");
            running = pg;
        }
        System.out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.close();
            } catch (Exception e) {
                System.err.println("stopping failed: " + e.getMessage());
            }
            stopped.countDown();
        }));
        stopped.await();
    }
}
