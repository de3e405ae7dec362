package dev.conveyor.schema.kafka;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * The fast path for the one timestamp form nearly every record carries: UTC with a {@code Z},
 * {@code 2026-11-22T10:15:30Z} or with 1 to 9 fraction digits, as {@link Instant#toString()}
 * writes it. {@link java.time.OffsetDateTime#parse} handles that too but costs several
 * microseconds per record on the worker's poll thread; this takes a fraction of that.
 * Anything else (offsets, lower-case separators, leap seconds, bad input) returns null and the
 * caller falls back to the general parser, which also produces the error message.
 */
final class Rfc3339 {

    private Rfc3339() {}

    /** {@code text} as an instant if it is in the canonical UTC form, else null. */
    static Instant parseUtc(String text) {
        int n = text.length();
        if (n < 20 || n > 30 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T'
                || text.charAt(13) != ':' || text.charAt(16) != ':' || text.charAt(n - 1) != 'Z') {
            return null;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 7);
        int day = digits(text, 8, 10);
        int hour = digits(text, 11, 13);
        int minute = digits(text, 14, 16);
        int second = digits(text, 17, 19);
        if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0
                || second > 59) {
            return null;
        }
        int nanos = 0;
        if (n > 20) {
            int fractionDigits = n - 21;
            if (text.charAt(19) != '.' || fractionDigits < 1 || fractionDigits > 9) {
                return null;
            }
            nanos = digits(text, 20, n - 1);
            if (nanos < 0) {
                return null;
            }
            for (int i = fractionDigits; i < 9; i++) {
                nanos *= 10;
            }
        }
        long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        } catch (DateTimeException e) {
            return null;
        }
        return Instant.ofEpochSecond(epochDay * 86_400L + hour * 3_600L + minute * 60L + second, nanos);
    }

    /** The decimal number in {@code text[from, to)}, or -1 if a character is not an ASCII digit. */
    private static int digits(String text, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
