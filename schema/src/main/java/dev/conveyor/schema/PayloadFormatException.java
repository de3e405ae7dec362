package dev.conveyor.schema;

/**
 * Thrown by {@link Task#json()} when the payload cannot be read as JSON, a form or XML. An
 * extension that lets it escape fails the task at once, without retries: the same payload would
 * fail the same way on every attempt.
 */
public final class PayloadFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PayloadFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
