package dev.conveyor.schema.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.PayloadFormatException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonTest {

    /** requireWellFormed must give the verdict (and the message) of parse, on good and bad documents alike. */
    @Test
    void requireWellFormedAgreesWithParse() {
        List<byte[]> documents = new java.util.ArrayList<>();
        for (String s : List.of("{}", "[]", "", "   ", "{\"a\":1}", "{\"a\":1} trailing", "{\"a\":", "\"unterminated",
                "\"text\"", "\"ctl\u0001\"", "123", "12x", "tru", "null", "{\"a\":[1,{\"b\":\"c\"]}", "{'a':1}",
                "{\"a\":1,}", "{\"a\":\"\\q\"}", "{\"a\":01}", "NaN", "[".repeat(1500) + "]".repeat(1500),
                "{\"n\":" + "9".repeat(1200) + "}", "{\"a\":\"\u00e9\"}")) {
            documents.add(s.getBytes(StandardCharsets.UTF_8));
        }
        documents.add(new byte[] {'"', (byte) 0xC3, '"'});
        documents.add(new byte[] {'"', (byte) 0xFF, '"'});
        for (byte[] doc : documents) {
            assertThat(verdict(() -> Json.requireWellFormed(doc)))
                    .as(new String(doc, StandardCharsets.UTF_8))
                    .isEqualTo(verdict(() -> Json.parse(doc)));
        }
    }

    private static String verdict(Runnable check) {
        try {
            check.run();
            return "ok";
        } catch (PayloadFormatException e) {
            return e.getMessage();
        }
    }
}
