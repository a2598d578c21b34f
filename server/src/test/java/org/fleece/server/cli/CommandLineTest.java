package org.fleece.server.cli;

import org.fleece.server.chardev.ChardevOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommandLineTest {
    @Test
    void keepsDaemonOptionsInOrderAndReadsBothSpellings() {
        CommandLine cl = CommandLine.parse(new String[] {"--chardev=socket,id=a,path=x", "--monitor", "a",
            "--pidfile", "p", "--daemonize", "-T", "qmp*"});
        assertThat(cl.options()).extracting(CommandLine.Option::toString)
                .containsExactly("--chardev socket,id=a,path=x", "--monitor a", "--trace qmp*");
        assertThat(cl.pidfile()).isEqualTo("p");
        assertThat(cl.daemonize()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--bogus | unrecognized option '--bogus'",
        "extra | extra: Unexpected argument",
        "--pidfile | option '--pidfile' requires an argument",
        "-x | invalid option -- 'x'",
    })
    void refusesWhatQemuStorageDaemonRefuses(String arg, String message) {
        assertThatThrownBy(() -> CommandLine.parse(new String[] {arg})).hasMessage(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "foo,id=x | 'foo' is not a valid char driver name",
        "socket,id=x | 'Unable to parse FD number '",
        "socket,path=/tmp/z.sock,server=on,wait=off | chardev: no id specified",
        "socket,path=/tmp/z.sock,server=on,wait=off,id=m0,bad=1 | Invalid parameter 'bad'",
    })
    void chardevErrorsAreQemus(String text, String message) {
        assertThatThrownBy(() -> ChardevOptions.parse(text)).hasMessage(message);
    }

    @Test
    void socketChardevDefaultsAreQemus() {
        ChardevOptions server = ChardevOptions.parse("socket,id=m,path=/s,server=on");
        assertThat(server.server()).isTrue();
        assertThat(server.waitForClient()).isTrue();
        ChardevOptions client = ChardevOptions.parse("socket,id=m,host=127.0.0.1,port=4444");
        assertThat(client.server()).isFalse();
        assertThat(client.waitForClient()).isFalse();
    }
}
