package dev.conveyor.ops.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plain-text table: a header row, columns padded to their widest cell and separated by two
 * spaces, no trailing blanks. A column can have a maximum width (longer cells are cut with
 * {@code …}) and can be right-aligned (numbers). Cells are single-line: line breaks and tabs in
 * a value become spaces, so one task is always one line.
 */
final class Table {

    static final String ELLIPSIS = "…";

    private final String[] headers;
    private final int[] maxWidth;
    private final boolean[] right;
    private final List<String[]> rows = new ArrayList<>();

    Table(String... headers) {
        this.headers = headers.clone();
        this.maxWidth = new int[headers.length];
        this.right = new boolean[headers.length];
        Arrays.fill(maxWidth, Integer.MAX_VALUE);
    }

    /** Cells of {@code column} longer than {@code max} characters are cut. */
    Table maxWidth(int column, int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max width must be at least 1, was " + max);
        }
        maxWidth[column] = max;
        return this;
    }

    /** {@code column} is right-aligned (its header too). */
    Table alignRight(int column) {
        right[column] = true;
        return this;
    }

    /** Adds a row; a null cell prints as {@code -}, missing trailing cells as empty. */
    Table row(Object... cells) {
        if (cells.length > headers.length) {
            throw new IllegalArgumentException(cells.length + " cells for " + headers.length + " columns");
        }
        String[] row = new String[headers.length];
        for (int i = 0; i < headers.length; i++) {
            String text = i >= cells.length ? "" : cells[i] == null ? "-" : String.valueOf(cells[i]);
            row[i] = truncate(text, maxWidth[i]);
        }
        rows.add(row);
        return this;
    }

    int size() {
        return rows.size();
    }

    /** The table as lines ending in a line break; just the header when there are no rows. */
    String render() {
        int[] width = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            width[i] = length(headers[i]);
            for (String[] row : rows) {
                width[i] = Math.max(width[i], length(row[i]));
            }
        }
        StringBuilder out = new StringBuilder();
        line(out, headers, width);
        for (String[] row : rows) {
            line(out, row, width);
        }
        return out.toString();
    }

    private void line(StringBuilder out, String[] cells, int[] width) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                line.append("  ");
            }
            int pad = width[i] - length(cells[i]);
            if (right[i]) {
                line.append(" ".repeat(pad)).append(cells[i]);
            } else {
                line.append(cells[i]).append(" ".repeat(pad));
            }
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    /**
     * {@code text} on one line (line breaks and tabs as spaces) and at most {@code max}
     * characters, the last of them {@code …} when it was cut.
     */
    static String truncate(String text, int max) {
        if (text == null) {
            return null;
        }
        String oneLine = text.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ').replace('\t', ' ');
        if (max == Integer.MAX_VALUE || length(oneLine) <= max) {
            return oneLine;
        }
        int end = oneLine.offsetByCodePoints(0, max - 1);
        return oneLine.substring(0, end) + ELLIPSIS;
    }

    /** Characters as a terminal counts them (code points, so a surrogate pair is one). */
    static int length(String s) {
        return s.codePointCount(0, s.length());
    }
}
