package org.fleece.server.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.qapi.schema.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Expected replies are qemu-storage-daemon 7.2's for the same requests. */
class DispatcherTest {
    private static final Schema SCHEMA = Schema.fleece();
    private static final ObjectMapper JSON = new ObjectMapper();
    private final CommandTable table = new CommandTable();
    private final Dispatcher dispatcher = new Dispatcher(SCHEMA, table);

    DispatcherTest() {
        SCHEMA.commands().forEach(c -> table.register(c.name(), (args, ctx) -> null));
    }

    private String reject(String request, boolean negotiated, boolean oob) throws Exception {
        JsonNode node = JSON.readTree(request.replace('\'', '"'));
        Dispatcher.Rejected r = catchThrowableOfType(Dispatcher.Rejected.class,
                () -> dispatcher.prepare(node, negotiated, oob));
        assertThat(r).as("rejected").isNotNull();
        return r.error().errorClass() + ": " + r.error().desc() + (r.id() == null ? "" : " id=" + r.id());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "[1,2] | GenericError: QMP input must be a JSON object",
        "{'id':5,'foo':1,'execute':'quit'} | GenericError: QMP input member 'foo' is unexpected id=5",
        "{'execute':5} | GenericError: QMP input member 'execute' must be a string",
        "{'execute':'quit','arguments':[]} | GenericError: QMP input member 'arguments' must be an object",
        "{'arguments':{},'id':'a'} | GenericError: QMP input lacks member 'execute' id=\"a\"",
        "{'execute':'nope','id':null} | CommandNotFound: The command nope has not been found id=null",
        "{'exec-oob':'query-version'} | GenericError: QMP input member 'exec-oob' is unexpected",
        "{'execute':'query-version','arguments':{'x':1},'id':{'a':1}} | GenericError: Parameter 'x' is unexpected id={\"a\":1}",
        "{'id':null,'zz':1,'execute':'query-version'} | GenericError: QMP input member 'zz' is unexpected id=null",
    })
    void rejectsLikeQemu(String request, String expected) throws Exception {
        assertThat(reject(request, true, false)).isEqualTo(expected);
    }

    @Test
    void negotiationComesFirst() throws Exception {
        assertThat(reject("{'execute':'query-version'}", false, false))
                .isEqualTo("CommandNotFound: Expecting capabilities negotiation with 'qmp_capabilities'");
        assertThat(reject("{'execute':'nope'}", false, false))
                .isEqualTo("CommandNotFound: Expecting capabilities negotiation with 'qmp_capabilities'");
        assertThat(dispatcher.prepare(JSON.readTree("{\"execute\":\"qmp_capabilities\"}"), false, false)
                .command().name()).isEqualTo("qmp_capabilities");
    }

    @Test
    void outOfBandNeedsTheCapabilityAndACommandThatAllowsIt() throws Exception {
        assertThat(reject("{'exec-oob':'query-version','id':1}", true, true))
                .isEqualTo("GenericError: The command query-version does not support OOB id=1");
        assertThat(reject("{'exec-oob':'query-version','execute':'quit'}", true, true))
                .isEqualTo("GenericError: QMP input member 'execute' clashes with 'exec-oob'");
    }

    @Test
    void everySchemaCommandHasAHandlerInTheDaemon() {
        CommandTable real = new CommandTable();
        new org.fleece.server.control.ControlCommands(SCHEMA, JSON.createObjectNode(), java.util.List::of, () -> { })
                .registerIn(real);
        new org.fleece.server.block.BlockCommands(new org.fleece.block.BlockGraph()).registerIn(real);
        org.fleece.block.job.JobManager jobs = new org.fleece.block.job.JobManager(
                new org.fleece.server.job.JobEventEmitter(new Events()));
        new org.fleece.server.block.TransactionCommands(new org.fleece.block.BlockGraph(), jobs, Runnable::run)
                .registerIn(real);
        new org.fleece.server.job.JobCommands(jobs).registerIn(real);
        new org.fleece.server.block.CreateCommands(new org.fleece.block.BlockGraph(), jobs, Runnable::run)
                .registerIn(real);
        new org.fleece.server.hmp.HmpCommands(new org.fleece.block.BlockGraph(), Runnable::run).registerIn(real);
        new org.fleece.server.nbd.NbdCommands(new org.fleece.server.nbd.BlockExports(
                new org.fleece.block.BlockGraph(), Runnable::run, id -> { })).registerIn(real);
        real.checkAgainst(SCHEMA);
    }
}
