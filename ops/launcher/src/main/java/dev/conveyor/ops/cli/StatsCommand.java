package dev.conveyor.ops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code conveyor stats}: {@code GET /v1/stats} as a table and a few lines. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Task counts per topic and status, consumer lag, queue age, scheduled backlog, throughput.",
                "Statuses with no task anywhere are left out of the table; throughput is tasks finished and failed "
                        + "per minute over the last minutes, oldest first.",
                "Example: watch -n 5 conveyor stats"},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.HELP_0, ExitCodes.HELP_1, ExitCodes.HELP_2, ExitCodes.HELP_3, ExitCodes.HELP_4,
                ExitCodes.HELP_5, ExitCodes.HELP_6})
public final class StatsCommand extends ApiCommand {

    @Override
    void run(StatusApiClient api, PrintWriter out) {
        JsonNode stats = api.get("/v1/stats");
        out.print(json ? pretty(stats) + "\n" : StatsView.render(stats));
    }
}
