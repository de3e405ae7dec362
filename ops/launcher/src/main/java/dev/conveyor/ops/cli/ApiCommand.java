package dev.conveyor.ops.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.ops.Main;
import dev.conveyor.ops.config.ConfigException;
import dev.conveyor.schema.json.Json;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * A command that talks to the status API: the options every such command takes
 * ({@code --url}, {@code --token}, {@code --json}, {@code --config}) and the one place where a
 * failed call becomes a message on stderr and an exit code ({@link ExitCodes}).
 *
 * <p>Output goes to the {@code CommandLine}'s writers, so a caller running the CLI in-process
 * can capture it ({@code CommandLine.setOut/setErr}).
 */
abstract class ApiCommand implements Callable<Integer> {

    /** Where {@code CONVEYOR_URL} and {@code CONVEYOR_TOKEN} come from. */
    static volatile Map<String, String> environment = System.getenv();
    /** The time relative {@code --since}/{@code --until} values count back from. */
    static volatile Clock clock = Clock.systemUTC();

    @Spec
    CommandSpec spec;

    @Mixin
    Main.ConfigOption config = new Main.ConfigOption();

    @Option(names = "--url", paramLabel = "URL",
            description = "The ingress base URL (default: CONVEYOR_URL, else http://<http.host>:<http.port> from the configuration).")
    String url;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Bearer token for /v1/* (default: CONVEYOR_TOKEN, else the first of http.tokens).")
    String token;

    @Option(names = "--json", description = "Print the API's JSON answer (pretty-printed) instead of text.")
    boolean json;

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            Endpoint endpoint;
            try {
                endpoint = Endpoint.resolve(url, token, environment, config::load);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            run(new StatusApiClient(endpoint), out);
            return ExitCodes.OK;
        } catch (ApiException e) {
            err.println("conveyor: " + e.getMessage());
            return e.exitCode();
        } catch (ConfigException e) {
            // Main maps this to 2 too; in-process callers (tests) have no such handler.
            err.println("conveyor: invalid configuration: " + e.getMessage());
            return ExitCodes.USAGE;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** Does the call(s) and prints the result; failures are thrown as {@link ApiException}. */
    abstract void run(StatusApiClient api, PrintWriter out);

    /** A usage error: picocli prints it with the command's usage and exits with 2. */
    ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** {@code node} as indented JSON. */
    static String pretty(JsonNode node) {
        try {
            return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot print JSON: " + e.getOriginalMessage(), e);
        }
    }
}
