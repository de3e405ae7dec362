package dev.conveyor.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Local infrastructure as separate processes, for multi-process setups on one machine
 * ({@code ops/bin/kafka-local}, {@code ops/bin/postgres-local}):
 * <pre>
 * java ... dev.conveyor.embedded.Standalone kafka    DIR HOST:PORT [--controller-port P] [--listener NAME=PORT@HOST:PORT]...
 * java ... dev.conveyor.embedded.Standalone postgres DIR PORT
 * </pre>
 * Runs until killed; data stays in DIR between runs. {@code --controller-port} keeps the KRaft
 * controller on one port across restarts; each {@code --listener} adds a plaintext listener bound to
 * 127.0.0.1:PORT that advertises HOST:PORT (the fault-injection suite puts a TCP proxy there).
 */
public final class Standalone {

    private Standalone() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || !(args[0].equals("kafka") || args[0].equals("postgres"))
                || (args[0].equals("postgres") && args.length != 3) || args.length % 2 == 0) {
            System.err.println("usage: Standalone kafka DIR HOST:PORT [--controller-port P] [--listener NAME=PORT@HOST:PORT]..."
                    + " | Standalone postgres DIR PORT");
            System.exit(2);
        }
        Path dir = Path.of(args[1]);
        AutoCloseable running;
        if (args[0].equals("kafka")) {
            String[] hostPort = args[2].split(":");
            int controllerPort = 0;
            List<EmbeddedKafkaBroker.Listener> extra = new ArrayList<>();
            for (int i = 3; i + 1 < args.length; i += 2) {
                switch (args[i]) {
                    case "--controller-port" -> controllerPort = Integer.parseInt(args[i + 1]);
                    case "--listener" -> extra.add(EmbeddedKafkaBroker.Listener.parse(args[i + 1]));
                    default -> {
                        System.err.println("unknown option " + args[i]);
                        System.exit(2);
                    }
                }
            }
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, hostPort[0], Integer.parseInt(hostPort[1]),
                    controllerPort, extra);
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
