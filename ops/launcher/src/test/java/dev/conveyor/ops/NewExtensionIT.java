package dev.conveyor.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code conveyor new extension}: the generated project builds with plain Maven (the one on PATH)
 * against this build's Conveyor jars, its tests pass, and its jar carries the three extensions'
 * service files; with a JDK older than 21 the build stops with a message that says what to do.
 */
class NewExtensionIT {

    private static Path repository;
    private static Path root;

    @BeforeAll
    static void installConveyorApi() throws Exception {
        repository = Path.of(System.getProperty("conveyor.test.localRepository",
                System.getProperty("user.home") + "/.m2/repository"));
        root = Path.of(System.getProperty("conveyor.test.root", "../.."));
        // The build under test ran `verify`, not `install`: put its parent, schema and api where a user's
        // project finds them, as `ops/bin/conveyor dev` (mvn install) would.
        String version = NewCommand.versions().get("conveyorVersion");
        installFile(root.resolve("pom.xml"), root.resolve("pom.xml"), "pom");
        for (String module : List.of("schema", "api")) {
            Path jar = root.resolve(module + "/target/conveyor-" + module + "-" + version + ".jar");
            assertThat(jar).as("built by this build").exists();
            installFile(jar, root.resolve(module + "/pom.xml"), "jar");
        }
    }

    private static void installFile(Path file, Path pom, String packaging) throws Exception {
        Result r = mvn(root, System.getProperty("java.home"), "install:install-file", "-Dfile=" + file,
                "-DpomFile=" + pom, "-Dpackaging=" + packaging);
        assertThat(r.exit).as(r.output).isZero();
    }

    private record Result(int exit, String output) {}

    private static Result mvn(Path dir, String javaHome, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("mvn", "-B", "-ntp", "-Dmaven.repo.local=" + repository));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", javaHome);
        pb.environment().remove("MAVEN_OPTS");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("mvn finished").isTrue();
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static Path generate(Path parent) {
        Path project = parent.resolve("hello-ext");
        int exit = new CommandLine(new Main()).execute("new", "extension", "hello-ext", "--group", "org.acme",
                "--dir", project.toString());
        assertThat(exit).isZero();
        return project;
    }

    @Test
    void theGeneratedProjectBuildsTestsAndPackagesItsThreeExtensions(@TempDir Path tmp) throws Exception {
        Path project = generate(tmp);
        assertThat(Files.readString(project.resolve("pom.xml"))).doesNotContain("{{").contains("<artifactId>conveyor-api</artifactId>");

        Result build = mvn(project, System.getProperty("java.home"), "package");

        assertThat(build.exit).as(build.output).isZero();
        assertThat(build.output).contains("Tests run: 4, Failures: 0, Errors: 0, Skipped: 0");
        try (JarFile jar = new JarFile(project.resolve("target/hello-ext-0.1.0-SNAPSHOT.jar").toFile())) {
            assertThat(text(jar, "META-INF/services/dev.conveyor.worker.spi.BackgroundExtension"))
                    .isEqualTo("org.acme.helloext.Welcome\n");
            assertThat(text(jar, "META-INF/services/dev.conveyor.worker.spi.InteractiveExtension"))
                    .isEqualTo("org.acme.helloext.Quote\n");
            assertThat(jar.getEntry("org/acme/helloext/Digest.class")).isNotNull();
        }
    }

    @Test
    void anOlderJdkIsToldWhatToDo(@TempDir Path tmp) throws Exception {
        Path jdk17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
        assumeTrue(Files.isDirectory(jdk17), "no JDK 17 at " + jdk17);
        Result build = mvn(generate(tmp), jdk17.toString(), "validate");
        assertThat(build.exit).isNotZero();
        assertThat(build.output).contains("Conveyor extensions build with JDK 21 or newer", "JAVA_HOME");
    }

    @Test
    void aTakenDirectoryOrABadNameIsRefused(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("keep.txt"), "mine");
        assertThat(new CommandLine(new Main()).execute("new", "extension", "x", "--dir", tmp.toString())).isEqualTo(2);
        assertThat(new CommandLine(new Main()).execute("new", "extension", "Bad_Name", "--dir",
                tmp.resolve("b").toString())).isEqualTo(2);
        assertThat(tmp.resolve("b")).doesNotExist();
    }

    private static String text(JarFile jar, String entry) throws IOException {
        return new String(jar.getInputStream(jar.getEntry(entry)).readAllBytes(), StandardCharsets.UTF_8);
    }
}
