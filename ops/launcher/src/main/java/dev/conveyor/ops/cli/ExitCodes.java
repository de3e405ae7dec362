package dev.conveyor.ops.cli;

/**
 * The exit codes of the API commands. Scripts rely on them, so they only ever grow: 2 is also
 * what picocli answers for a usage error and what {@code Main} answers for an invalid
 * configuration.
 */
public final class ExitCodes {

    public static final int OK = 0;
    /** Anything unexpected: a bug, an answer that is not the documented JSON. */
    public static final int INTERNAL = 1;
    /** Wrong options or arguments (including the API's 400), or an invalid configuration. */
    public static final int USAGE = 2;
    /** 404: no such task. */
    public static final int NOT_FOUND = 3;
    /** 409: the task is not in a state the action applies to (retry of a done task). */
    public static final int CONFLICT = 4;
    /** The API could not be reached, timed out, or answered 5xx: worth retrying later. */
    public static final int UNAVAILABLE = 5;
    /** 401 or 403: no token, or a token the ingress does not know. */
    public static final int UNAUTHORIZED = 6;

    // The lines of every command's "Exit codes:" help section (annotation values must be constants).
    static final String HEADING = "%nExit codes:%n";
    static final String HELP_0 = "0:ok";
    static final String HELP_1 = "1:unexpected or internal error";
    static final String HELP_2 = "2:usage error (also the API's 400) or invalid configuration";
    static final String HELP_3 = "3:not found (404)";
    static final String HELP_4 = "4:conflict (409): the task's status does not allow the action";
    static final String HELP_5 = "5:API unreachable, timed out or failing (5xx)";
    static final String HELP_6 = "6:unauthorized (401/403): check --token / CONVEYOR_TOKEN";

    private ExitCodes() {}

    /** The exit code for an HTTP status the API answered with. */
    public static int forHttpStatus(int status) {
        if (status >= 200 && status < 300) {
            return OK;
        }
        return switch (status) {
            case 400, 422 -> USAGE;
            case 401, 403 -> UNAUTHORIZED;
            case 404, 410 -> NOT_FOUND;
            case 409 -> CONFLICT;
            default -> status >= 500 ? UNAVAILABLE : INTERNAL;
        };
    }
}
