package org.fleece.qapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.qapi.QmpError;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The expected texts are what qemu-storage-daemon 7.2 answers for the same shapes of input. */
class InputVisitorTest {
    private static final Schema SCHEMA = SchemaReader.load("qapi-test", "test.json");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String error(String command, String arguments) throws Exception {
        JsonNode args = JSON.readTree(arguments);
        QmpError e = catchThrowableOfType(QmpError.class,
                () -> InputVisitor.checkArguments(SCHEMA.command(command).arguments(), args));
        return e == null ? null : e.desc();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "blockdev-add | {'driver':'file','filename':1} | Invalid parameter type for 'filename', expected: string",
        "blockdev-add | {'driver':'raw','file':1} | Invalid parameter type for 'file', expected: BlockdevRef",
        "blockdev-add | {'driver':'raw','file':{'driver':'file'}} | Parameter 'file.filename' is missing",
        "blockdev-add | {'driver':'raw','file':{'driver':'file','filename':'/x','aio':'bad'}} | Parameter 'aio' does not accept value 'bad'",
        "blockdev-add | {'driver':'raw','file':{'driver':'raw','file':5}} | Invalid parameter type for 'file', expected: BlockdevRef",
        "blockdev-add | {'driver':'raw','file':{'driver':'file','filename':'/x','unexpected':1}} | Parameter 'file.unexpected' is unexpected",
        "blockdev-add | {'driver':'raw','file':'x','q':1,'a':2} | Parameter 'a' is unexpected",
        "blockdev-add | {'driver':'raw'} | Parameter 'file' is missing",
        "blockdev-add | {'driver':'raw','file':{}} | Parameter 'file.driver' is missing",
        "blockdev-add | {'driver':'raw','file':{'driver':'x'}} | Parameter 'driver' does not accept value 'x'",
        "blockdev-add | {} | Parameter 'driver' is missing",
        "blockdev-add | {'driver':5} | Invalid parameter type for 'driver', expected: string",
        "blockdev-add | {'driver':'raw','file':'x','cache':{'direct':1}} | Invalid parameter type for 'cache.direct', expected: boolean",
        "blockdev-add | {'driver':'null-co','size':'abc'} | Invalid parameter type for 'size', expected: integer",
        "blockdev-add | {'driver':'null-co','size':1.5} | Invalid parameter type for 'size', expected: integer",
        "blockdev-add | {'driver':'raw','file':{'driver':'null-co','size':'x'}} | Invalid parameter type for 'file.size', expected: integer",
        "blockdev-add | {'driver':'null-co','latency-ns':'a'} | Parameter 'latency-ns' expects uint64",
        "blockdev-add | {'driver':'raw','file':{'driver':'null-co','latency-ns':1.5}} | Parameter 'file.latency-ns' expects uint64",
        "blockdev-create | {'job-id':'j','options':{'filename':'/x','size':'1M'}} | Parameter 'options.size' expects uint64",
        "transaction | {'actions':[{'type':'a','data':{}},{'type':'a','data':5}]} | Invalid parameter type for 'actions[1].data', expected: object",
        "transaction | {'actions':[{'type':'a'}]} | Parameter 'actions[0].data' is missing",
        "transaction | {'actions':[{'data':{}}]} | Parameter 'actions[0].type' is missing",
        "transaction | {'actions':{}} | Invalid parameter type for 'actions', expected: array",
        "transaction | {'actions':[5]} | Invalid parameter type for 'actions[0]', expected: object",
        "bitmap-add | {'node':'x','granularity':-1} | Parameter 'granularity' expects uint32_t",
        "bitmap-add | {'node':'x','granularity':5000000000} | Parameter 'granularity' expects uint32_t",
        "bitmap-add | {'node':'x','granularity':1.0} | Parameter 'granularity' expects uint64",
        "bitmap-add | {'node':'x','granularity':'a'} | Parameter 'granularity' expects uint64",
        "bitmap-add | {'node':'x','level':200} | Parameter 'level' expects int8_t",
        "bitmap-add | {'node':'x','ratio':'a'} | Invalid parameter type for 'ratio', expected: number",
        "caps | {'enable':['threads','x']} | Parameter 'null' does not accept value 'x'",
        "caps | {'enable':'threads'} | Invalid parameter type for 'enable', expected: array",
        "noargs | {'a':1,'b':2,'zz':3} | Parameter 'b' is unexpected",
        "blockdev-add | {'driver':'file','node-name':'f','filename':'x','filenam':'y'} | Parameter 'filenam' is unexpected",
    })
    void reportsTheFirstErrorInQemusWords(String command, String arguments, String expected) throws Exception {
        assertThat(error(command, arguments.replace('\'', '"'))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "blockdev-add | {'driver':'raw','file':{'driver':'file','filename':'/x','aio':'native'},'node-name':'n'}",
        "blockdev-add | {'driver':'raw','file':'node0','size':-5}",
        "blockdev-add | {'driver':'null-co','size':-1,'latency-ns':18446744073709551615}",
        "bitmap-add | {'node':'x','granularity':4294967295,'ratio':1,'level':-128}",
        "caps | {'enable':[]}",
        "noargs | {}",
    })
    void acceptsWhatQemuAccepts(String command, String arguments) throws Exception {
        JsonNode args = JSON.readTree(arguments.replace('\'', '"'));
        assertThatCode(() -> InputVisitor.checkArguments(SCHEMA.command(command).arguments(), args))
                .doesNotThrowAnyException();
    }

    /** key=value input: strings converted to the schema's types; texts as qemu-storage-daemon's --blockdev. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{'driver':'null-co','size':'0x200','latency-ns':'010'} | {\"driver\":\"null-co\",\"size\":512,\"latency-ns\":8}",
        "{'driver':'raw','file':{'driver':'file','filename':'a'},'cache':{'direct':'on'}} | {\"driver\":\"raw\",\"file\":{\"driver\":\"file\",\"filename\":\"a\"},\"cache\":{\"direct\":true}}",
        "{'driver':'raw','file':'node0','size':'1024'} | {\"driver\":\"raw\",\"file\":\"node0\",\"size\":1024}",
    })
    void convertsKeyvalStrings(String input, String expected) throws Exception {
        JsonNode options = JSON.readTree(input.replace('\'', '"'));
        InputVisitor.convertKeyval(SCHEMA.command("blockdev-add").arguments(), options);
        assertThat(options.toString()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{'driver':'raw','file':'x','size':'1M'} | Parameter 'size' expects integer",
        "{'driver':'null-co','latency-ns':'abc'} | Parameter 'latency-ns' expects integer",
        "{'driver':'raw','file':'x','cache':{'direct':'maybe'}} | Parameter 'cache.direct' expects 'on' or 'off'",
    })
    void reportsKeyvalErrorsInQemusWords(String input, String expected) throws Exception {
        JsonNode options = JSON.readTree(input.replace('\'', '"'));
        QmpError e = catchThrowableOfType(QmpError.class,
                () -> InputVisitor.convertKeyval(SCHEMA.command("blockdev-add").arguments(), options));
        assertThat(e).isNotNull();
        assertThat(e.desc()).isEqualTo(expected);
    }
}
