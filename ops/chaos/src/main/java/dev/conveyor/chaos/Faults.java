package dev.conveyor.chaos;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The fault plan of a run and its execution. Kinds:
 * <ul>
 * <li>{@code kill9_ingress|worker|scheduler}: SIGKILL to a random running role of that kind, started again 1–3 s later;
 * <li>{@code sigterm_ingress|worker|scheduler}: SIGTERM (graceful stop), started again 1–3 s after it exited;
 * <li>{@code kill9_broker}: SIGKILL to the Kafka broker, started again on the same data 2 s later;
 * <li>{@code stop_postgres}: immediate shutdown of PostgreSQL (SIGQUIT to the postmaster), started again 3 s later;
 * <li>{@code cut_worker_db}, {@code cut_worker_kafka}: worker-2's proxy to PostgreSQL / Kafka closes every connection
 * and blackholes new ones for 10–20 s.
 * </ul>
 * Role kills (at least 6, 2.4 per minute of load) and one SIGTERM per role kind fall at random times
 * between 10 s after the load starts and 25 s before it ends; the infrastructure faults are spread
 * evenly, as many as fit 30 s apart (broker first, then PostgreSQL, the Kafka cut, the database cut).
 */
final class Faults {

    static final List<String> INFRA = List.of("kill9_broker", "stop_postgres", "cut_worker_kafka", "cut_worker_db");
    /** Names under which an infrastructure fault is marked as under way in {@code restarting}. */
    private static final List<String> INFRA_TARGETS = List.of("kafka", "postgres", "worker-2-kafka", "worker-2-db");

    /** A fault to inject {@code atMillis} after the load started. */
    record Planned(long atMillis, String kind, long durationMillis) {}

    /** A fault that happened: what, to whom (and its PID), when it started and when it was over. */
    record Event(String kind, String target, long pid, long atMillis, long endMillis, String detail) {}

    static List<Planned> plan(long seed, Duration load, Set<String> only) {
        Random random = new Random(seed);
        long l = load.toMillis();
        List<Planned> plan = new ArrayList<>();
        int kills = (int) Math.max(6, Math.round(2.4 * load.toSeconds() / 60.0));
        List<String> kinds = new ArrayList<>(List.of("ingress", "worker", "scheduler"));
        Collections.shuffle(kinds, random);
        long from = 10_000;
        long to = Math.max(from + 1, l - 25_000);
        for (int i = 0; i < kills; i++) {
            plan.add(new Planned(from + (long) (random.nextDouble() * (to - from)), "kill9_" + kinds.get(i % 3), 0));
        }
        if (load.toSeconds() >= 60) {
            for (String kind : kinds) {
                plan.add(new Planned(from + (long) (random.nextDouble() * (to - from)), "sigterm_" + kind, 0));
            }
        }
        int n = (int) Math.max(1, Math.min(INFRA.size(), (load.toSeconds() - 40) / 30));
        for (int i = 0; i < n; i++) {
            long at = n == 1 ? (long) (0.4 * l) : 15_000 + i * (l - 55_000) / (n - 1);
            String kind = INFRA.get(i);
            plan.add(new Planned(at, kind, kind.startsWith("cut") ? 10_000 + random.nextInt(10_001) : 0));
        }
        plan.removeIf(p -> only != null && !only.isEmpty() && !only.contains(p.kind())
                && !only.contains(p.kind().substring(0, p.kind().indexOf('_'))));
        plan.sort(Comparator.comparingLong(Planned::atMillis));
        return plan;
    }

    private final Cluster cluster;
    private final Log log;
    private final Random random;
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final Set<String> restarting = ConcurrentHashMap.newKeySet();
    private final List<Event> exits = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService restarts = Executors.newScheduledThreadPool(8);
    private volatile boolean supervising;
    /** Set while a cut waits for worker-2 or is under way: role faults leave worker-2 alone meanwhile. */
    private volatile boolean cutReserved;

    Faults(Cluster cluster, Log log, long seed) {
        this.cluster = cluster;
        this.log = log;
        this.random = new Random(seed ^ 0x5DEECE66DL);
    }

    List<Event> events() {
        List<Event> sorted = new ArrayList<>(events);
        sorted.sort(Comparator.comparingLong(Event::atMillis));
        return sorted;
    }

    /** Processes that ended without the suite asking (each restarted 2 s later, as a supervisor would). */
    List<Event> unexpectedExits() {
        return List.copyOf(exits);
    }

    /**
     * Watches every process like a supervisor (systemd, Kubernetes) would: one that ended without the
     * suite asking is recorded and started again 2 s later.
     */
    void supervise() {
        supervising = true;
        Thread.ofPlatform().daemon().name("chaos-supervisor").start(() -> {
            while (supervising) {
                List<ManagedProcess> all = new ArrayList<>();
                Cluster.ROLES.forEach(r -> all.add(cluster.role(r)));
                all.add(cluster.broker());
                all.add(cluster.postgres().process());
                for (ManagedProcess p : all) {
                    if (supervising && p.started() && !p.alive() && restarting.add(p.name())) {
                        long at = System.currentTimeMillis();
                        String detail = "exited on its own with code " + p.exitCode();
                        log.info("UNEXPECTED EXIT of " + p.name() + " (pid " + p.pid() + "): " + detail
                                + "; starting it again in 2 s");
                        exits.add(new Event("exit", p.name(), p.pid(), at, at, detail));
                        restarts.schedule(() -> {
                            try {
                                if (supervising) {
                                    p.start();
                                }
                            } catch (Exception e) {
                                log.info(p.name() + " restart FAILED: " + e);
                            } finally {
                                restarting.remove(p.name());
                            }
                        }, 2, TimeUnit.SECONDS);
                    }
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    void stopSupervising() {
        supervising = false;
    }

    /**
     * Injects the plan, measured from {@code loadStartMillis}; returns when the last fault was injected.
     * An infrastructure fault waits until the previous one has been over for 10 s, and a cut also until
     * worker-2 is up and talking through the proxy, so that each one is measured on its own; one that cannot start 20 s before {@code latestMillis} is skipped.
     */
    void run(List<Planned> plan, long loadStartMillis, long latestMillis) throws InterruptedException {
        // Role faults keep their times; infrastructure faults may wait for calm: two timelines.
        List<Planned> roles = plan.stream().filter(p -> !INFRA.contains(p.kind())).toList();
        Thread roleFaults = Thread.ofPlatform().name("chaos-role-faults").start(() -> {
            try {
                runTimeline(roles, loadStartMillis, latestMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        runTimeline(plan.stream().filter(p -> INFRA.contains(p.kind())).toList(), loadStartMillis, latestMillis);
        roleFaults.join();
    }

    private void runTimeline(List<Planned> plan, long loadStartMillis, long latestMillis) throws InterruptedException {
        for (Planned p : plan) {
            long wait = loadStartMillis + p.atMillis() - System.currentTimeMillis();
            if (wait > 0) {
                Thread.sleep(wait);
            }
            if (p.kind().startsWith("cut_")) {
                cutReserved = true;
            }
            if (INFRA.contains(p.kind()) && !awaitCalm(p, latestMillis - 20_000)) {
                log.info("fault " + p.kind() + " skipped: the system was not back in time for it");
                cutReserved = false;
                continue;
            }
            try {
                inject(p);
            } catch (Exception e) {
                log.info("fault " + p.kind() + " could not be injected: " + e);
            }
        }
    }

    private boolean awaitCalm(Planned p, long deadline) throws InterruptedException {
        long calmSince = -1;
        while (System.currentTimeMillis() < deadline) {
            boolean calm = INFRA_TARGETS.stream().noneMatch(restarting::contains);
            if (calm && p.kind().startsWith("cut_")) {
                TcpProxy proxy = p.kind().equals("cut_worker_db") ? cluster.dbProxy() : cluster.kafkaProxy();
                calm = cluster.role("worker-2").ready() && proxy.openConnections() > 0;
            }
            if (!calm) {
                calmSince = -1;
            } else if (calmSince < 0) {
                calmSince = System.currentTimeMillis();
            } else if (System.currentTimeMillis() - calmSince >= 10_000) {
                return true;
            }
            Thread.sleep(250);
        }
        return false;
    }

    /** Waits until every restart and cut has finished (bounded). */
    void awaitSettled(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!restarting.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        restarts.shutdown();
        restarts.awaitTermination(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
    }

    private void inject(Planned p) throws Exception {
        String kind = p.kind();
        if (kind.startsWith("kill9_") && !kind.equals("kill9_broker") || kind.startsWith("sigterm_")) {
            String roleKind = kind.substring(kind.indexOf('_') + 1);
            List<String> candidates = Cluster.ROLES.stream().filter(r -> r.startsWith(roleKind + "-"))
                    .filter(r -> !restarting.contains(r) && cluster.role(r).alive())
                    .filter(r -> !r.equals("worker-2") || !cutReserved)
                    .toList();
            if (candidates.isEmpty()) {
                log.info("fault " + kind + " skipped: no " + roleKind + " running");
                return;
            }
            String target = candidates.get(random.nextInt(candidates.size()));
            ManagedProcess role = cluster.role(target);
            restarting.add(target);
            long at = System.currentTimeMillis();
            long pid = kind.startsWith("kill9") ? role.kill9() : role.term();
            log.info("FAULT " + kind + " " + target + " pid " + pid);
            long delay = 1000 + random.nextInt(2001);
            restarts.execute(() -> restartRole(kind, target, role, pid, at, delay));
        } else if (kind.equals("kill9_broker")) {
            ManagedProcess broker = cluster.broker();
            restarting.add("kafka");
            long at = System.currentTimeMillis();
            long pid = broker.kill9();
            log.info("FAULT kill9_broker kafka pid " + pid);
            restarts.schedule(() -> {
                try {
                    broker.awaitExit(Duration.ofSeconds(10));
                    broker.start();
                    broker.awaitReady(Duration.ofSeconds(120));
                    long end = System.currentTimeMillis();
                    events.add(new Event(kind, "kafka", pid, at, end, "restarted on the same data, pid " + broker.pid()));
                    log.info("kafka back (pid " + broker.pid() + ") after " + (end - at) + " ms");
                } catch (Exception e) {
                    log.info("kafka restart FAILED: " + e);
                    events.add(new Event(kind, "kafka", pid, at, -1, "restart failed: " + e.getMessage()));
                } finally {
                    restarting.remove("kafka");
                }
            }, 2, TimeUnit.SECONDS);
        } else if (kind.equals("stop_postgres")) {
            PostgresServer pg = cluster.postgres();
            restarting.add("postgres");
            long at = System.currentTimeMillis();
            long pid = pg.stopImmediately();
            log.info("FAULT stop_postgres (immediate, SIGQUIT) pid " + pid);
            restarts.schedule(() -> {
                try {
                    pg.start(Duration.ofSeconds(120));
                    long end = System.currentTimeMillis();
                    events.add(new Event(kind, "postgres", pid, at, end, "restarted (crash recovery), pid "
                            + pg.process().pid()));
                    log.info("postgres back (pid " + pg.process().pid() + ") after " + (end - at) + " ms");
                } catch (Exception e) {
                    log.info("postgres restart FAILED: " + e);
                    events.add(new Event(kind, "postgres", pid, at, -1, "restart failed: " + e.getMessage()));
                } finally {
                    restarting.remove("postgres");
                }
            }, 3, TimeUnit.SECONDS);
        } else if (kind.startsWith("cut_")) {
            TcpProxy proxy = kind.equals("cut_worker_db") ? cluster.dbProxy() : cluster.kafkaProxy();
            restarting.add(proxy.name());
            long at = System.currentTimeMillis();
            int closed = proxy.cut();
            log.info("FAULT " + kind + " worker-2 for " + p.durationMillis() + " ms (" + closed + " sockets closed)");
            restarts.schedule(() -> {
                proxy.heal();
                long end = System.currentTimeMillis();
                events.add(new Event(kind, "worker-2", cluster.role("worker-2").pid(), at, end,
                        "cut " + p.durationMillis() + " ms, " + closed + " sockets closed"));
                log.info("cut " + kind + " healed");
                restarting.remove(proxy.name());
                cutReserved = false;
            }, p.durationMillis(), TimeUnit.MILLISECONDS);
        } else {
            throw new IllegalArgumentException("unknown fault " + kind);
        }
    }

    private void restartRole(String kind, String target, ManagedProcess role, long pid, long at, long delay) {
        try {
            String detail = "";
            if (!role.awaitExit(Duration.ofSeconds(60))) {
                role.kill9();
                role.awaitExit(Duration.ofSeconds(10));
                detail = "did not stop within 60 s of SIGTERM, killed; ";
            }
            long exited = System.currentTimeMillis();
            Thread.sleep(delay);
            role.start();
            long end = System.currentTimeMillis();
            events.add(new Event(kind, target, pid, at, end, detail + "exited after " + (exited - at) + " ms, started again "
                    + delay + " ms later as pid " + role.pid()));
            log.info(target + " started again (pid " + role.pid() + "), " + (exited - at) + " ms to exit");
        } catch (Exception e) {
            log.info(target + " restart FAILED: " + e);
            events.add(new Event(kind, target, pid, at, -1, "restart failed: " + e.getMessage()));
        } finally {
            restarting.remove(target);
        }
    }

    static String iso(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }
}
