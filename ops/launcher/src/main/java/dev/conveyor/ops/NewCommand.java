package dev.conveyor.ops;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code conveyor new extension NAME}: a Maven project of one's own with an extension of each kind,
 * their unit tests on the test kit, a complete pom (pinned plugins, the versions this Conveyor was
 * built with, a JDK 21 check with a clear message) and a README saying how to build and load it.
 */
@Command(name = "new", mixinStandardHelpOptions = true, description = "Start a project of your own.",
        subcommands = NewCommand.Extension.class)
final class NewCommand {

    private static final String TEMPLATES = "/dev/conveyor/ops/newproject/";
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    private static final Pattern JAVA_PACKAGE = Pattern.compile("[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)*");
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    @Command(name = "extension", mixinStandardHelpOptions = true,
            description = "Create NAME/: a Maven project with a background, an interactive and a scheduled extension, "
                    + "their tests and a README (build with JDK 21+: mvn package).")
    static final class Extension implements Callable<Integer> {

        @Parameters(paramLabel = "NAME", description = "Project (artifactId) and directory name: lower case, digits, '-'.")
        String name;

        @Option(names = "--group", paramLabel = "GROUP", defaultValue = "com.example",
                description = "Maven groupId (default: ${DEFAULT-VALUE}).")
        String group;

        @Option(names = "--package", paramLabel = "PACKAGE",
                description = "Java package of the classes (default: GROUP.NAME without '-').")
        String javaPackage;

        @Option(names = "--topic", paramLabel = "TOPIC",
                description = "Topic of the background extension (default: NAME).")
        String topic;

        @Option(names = "--dir", paramLabel = "DIR", description = "Where to create the project (default: ./NAME).")
        Path dir;

        @Override
        public Integer call() throws IOException {
            if (!NAME.matcher(name).matches()) {
                System.err.println("conveyor new extension: NAME '" + name + "' must start with a letter and hold only "
                        + "lower-case letters, digits and '-' (it becomes the artifactId and the directory)");
                return 2;
            }
            String pkg = javaPackage != null ? javaPackage : group + "." + name.replace("-", "");
            if (!JAVA_PACKAGE.matcher(pkg).matches()) {
                System.err.println("conveyor new extension: --package '" + pkg + "' is not a Java package name "
                        + "(lower case, dot-separated)");
                return 2;
            }
            String t = topic != null ? topic : name;
            if (!TOPIC.matcher(t).matches()) {
                System.err.println("conveyor new extension: --topic '" + t + "' is not a Kafka topic name "
                        + "(letters, digits, '.', '_', '-')");
                return 2;
            }
            Path target = (dir != null ? dir : Path.of(name)).toAbsolutePath().normalize();
            if (Files.exists(target) && (!Files.isDirectory(target) || Files.list(target).findAny().isPresent())) {
                System.err.println("conveyor new extension: " + target + " exists and is not empty; choose another "
                        + "NAME or --dir");
                return 2;
            }
            Map<String, String> values = new LinkedHashMap<>(versions());
            values.put("group", group);
            values.put("artifact", name);
            values.put("package", pkg);
            values.put("topic", t);
            // The Conveyor checkout (ops/bin/conveyor exports it), else where the command runs.
            String home = System.getenv("CONVEYOR_HOME");
            Path conveyor = (home == null || home.isBlank() ? Path.of("") : Path.of(home)).toAbsolutePath().normalize();
            values.put("conveyorDir", conveyor.toString());
            write(target, values);
            System.out.printf("""
                    Created %s (%s:%s, package %s):
                      Welcome   background   topic %s
                      Quote     interactive  topic %s-quotes
                      Digest    scheduled    topic %s-digests
                    Next: cd %s && mvn package   (needs JDK 21+; see its README.md), then
                      mkdir -p %s/extensions && cp target/%s-0.1.0-SNAPSHOT.jar %s/extensions/
                    and (re)start ops/bin/conveyor dev in %s.
                    """, target, group, name, pkg, t, name, name, target, conveyor, name, conveyor, conveyor);
            return 0;
        }
    }

    /** The versions Conveyor was built with (filtered into the jar by Maven). */
    static Map<String, String> versions() {
        Properties p = new Properties();
        try (InputStream in = NewCommand.class.getResourceAsStream(TEMPLATES + "versions.properties")) {
            if (in == null) {
                throw new IllegalStateException("versions.properties is missing from the launcher jar");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> out = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }

    /** Writes the project into {@code target}. */
    static void write(Path target, Map<String, String> values) throws IOException {
        String pkgPath = values.get("package").replace('.', '/');
        Map<String, String> files = new LinkedHashMap<>();
        files.put("pom.xml", "pom.xml");
        files.put("README.md", "README.md");
        files.put("Welcome.java", "src/main/java/" + pkgPath + "/Welcome.java");
        files.put("Quote.java", "src/main/java/" + pkgPath + "/Quote.java");
        files.put("Digest.java", "src/main/java/" + pkgPath + "/Digest.java");
        files.put("ExtensionsTest.java", "src/test/java/" + pkgPath + "/ExtensionsTest.java");
        for (Map.Entry<String, String> f : files.entrySet()) {
            put(target.resolve(f.getValue()), fill(template(f.getKey()), values));
        }
        String pkg = values.get("package");
        Path services = target.resolve("src/main/resources/META-INF/services");
        for (List<String> service : List.of(List.of("BackgroundExtension", "Welcome"),
                List.of("InteractiveExtension", "Quote"), List.of("ScheduledExtension", "Digest"))) {
            put(services.resolve("dev.conveyor.worker.spi." + service.get(0)), pkg + "." + service.get(1) + "\n");
        }
        put(target.resolve(".gitignore"), "target/\n");
    }

    private static String template(String name) {
        try (InputStream in = NewCommand.class.getResourceAsStream(TEMPLATES + name)) {
            if (in == null) {
                throw new IllegalStateException("template " + name + " is missing from the launcher jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String fill(String template, Map<String, String> values) {
        String out = template;
        for (Map.Entry<String, String> v : values.entrySet()) {
            out = out.replace("{{" + v.getKey() + "}}", v.getValue());
        }
        if (out.contains("{{")) {
            String left = out.substring(out.indexOf("{{"), Math.min(out.length(), out.indexOf("{{") + 30));
            throw new IllegalStateException("unfilled placeholder " + left.toLowerCase(Locale.ROOT));
        }
        return out;
    }

    private static void put(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
