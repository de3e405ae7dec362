package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DashboardTest {

    @Test
    void servesKnownExtensionsWithTheirMediaTypes() {
        assertThat(Dashboard.contentType("index.html")).isEqualTo("text/html; charset=utf-8");
        assertThat(Dashboard.contentType("app.js")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(Dashboard.contentType("app.css")).isEqualTo("text/css; charset=utf-8");
    }

    @Test
    void refusesNamesThatCouldLeaveTheFolderOrAreNotAssets() {
        for (String name : new String[] {null, "", "..", "../app.js", "..%2Fapp.js", "a/b.js", "a\\b.js", ".hidden.js",
                "app..js", "Dashboard.class", "app", "app.js ", "logback.xml"}) {
            assertThat(Dashboard.contentType(name)).as(String.valueOf(name)).isNull();
        }
    }

    @Test
    void everyFileTheDashboardLinksIsInTheJar() {
        for (String name : new String[] {"index.html", "app.js", "app.css"}) {
            assertThat(Dashboard.class.getClassLoader().getResource(Dashboard.FOLDER + name)).as(name).isNotNull();
        }
    }
}
