package org.fleece.server.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyValueTest {
    @Test
    void nestsDottedKeysAndKeepsEscapedCommas() {
        assertThat(KeyValue.parse("driver=raw,file.driver=file,file.filename=a,,b.img", null).toString())
                .isEqualTo("{\"driver\":\"raw\",\"file\":{\"driver\":\"file\",\"filename\":\"a,b.img\"}}");
    }

    @Test
    void takesTheImpliedKeyFirstAndTheLastOfRepeatedKeys() {
        assertThat(KeyValue.parse("iothread,id=a,id=b", "qom-type").toString())
                .isEqualTo("{\"qom-type\":\"iothread\",\"id\":\"b\"}");
    }

    @Test
    void turnsNumberedKeysIntoLists() {
        assertThat(KeyValue.parse("a.0=x,a.1.b=y", null).toString())
                .isEqualTo("{\"a\":[\"x\",{\"b\":\"y\"}]}");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "driver=null-co,size=1,size.x=2 | Parameters 'size.*' used inconsistently",
        "driver=null-co,b@c=1 | Invalid parameter 'b@c'",
        "driver=null-co,=x | Invalid parameter ''",
        "driver=null-co,a..b=x | Invalid parameter 'a..b'",
        "driver=null-co,x.0=1,x.2=3 | Parameter 'x.1' missing",
        "driver=null-co,flag | Expected '=' after parameter 'flag'",
    })
    void reportsQemusErrors(String text, String message) {
        assertThatThrownBy(() -> KeyValue.parse(text, null)).isInstanceOf(CliError.class).hasMessage(message);
    }

    @Test
    void readsFlatQemuOptsWithBareFlags() {
        assertThat(KeyValue.flat("socket,path=/a,,b,server,wait=off", "backend"))
                .containsExactly(java.util.Map.entry("backend", "socket"), java.util.Map.entry("path", "/a,b"),
                        java.util.Map.entry("server", "on"), java.util.Map.entry("wait", "off"));
    }
}
