package dev.conveyor.ops.cli;

/**
 * The status API refused a call or could not be reached. The message is what the CLI prints
 * after {@code conveyor: } ({@code <error>: <detail>}, as the API phrased it), and
 * {@link #exitCode()} is what the process exits with. Caught in one place,
 * {@link ApiCommand#call()}.
 */
final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int exitCode;
    private final int httpStatus;

    ApiException(int exitCode, int httpStatus, String error, String detail) {
        super(detail == null || detail.isBlank() ? error : error + ": " + detail, null, false, false);
        this.exitCode = exitCode;
        this.httpStatus = httpStatus;
    }

    /** The API could not be reached or did not answer in time (no HTTP status). */
    static ApiException unavailable(String error, String detail) {
        return new ApiException(ExitCodes.UNAVAILABLE, 0, error, detail);
    }

    int exitCode() {
        return exitCode;
    }

    /** The HTTP status, or 0 when there was no answer. */
    int httpStatus() {
        return httpStatus;
    }
}
