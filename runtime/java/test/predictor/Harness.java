package predictor;

import com.amazonaws.services.lambda.runtime.Context;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Test harness: one long-lived JVM that serves commands, one JSON object per line on stdin,
 * one JSON answer per line on stdout, so Python tests can send hundreds of cases without a
 * JVM start each. Not part of the function's package (compiled separately).
 *
 * <p>First line out: {@code {"ready":true,...}}, or {@code {"ready":false,"error":...}} and exit
 * status 3 when the handler's static initialisation fails (the init-failure tests read it).
 * Commands ({@code op}): {@code invoke} (event, or raw text; optional request_id), {@code broken}
 * (an input stream that fails), {@code restore} (a new environment restored from the state
 * the handler had right after init, as a SnapStart snapshot holds it, serving {@code invocations}
 * events), {@code parse} (Json.parse of text), {@code quote}, {@code write_number}, {@code bench}, {@code sign},
 * {@code amz_date}, {@code quit}.
 */
public final class Harness {
    private Harness() {
    }

    /**
     * The invocation context as the managed runtime would pass it: an implementation of the
     * runtime's Context interface (here the compile-time stub, on the class path as the runtime's
     * own copy would be).
     */
    static final class InvocationContext implements Context {
        private final String id;

        InvocationContext(String id) {
            this.id = id;
        }

        @Override
        public String getAwsRequestId() {
            return id;
        }
    }

    public static void main(String[] args) throws IOException {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Handler handler;
        try {
            handler = new Handler();
        } catch (ExceptionInInitializerError e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            Map<String, Object> failed = new LinkedHashMap<>();
            failed.put("ready", Boolean.FALSE);
            failed.put("error_class", cause.getClass().getName());
            failed.put("error", String.valueOf(cause.getMessage()));
            out.println(Json.write(failed));
            out.flush();
            System.exit(3);
            return;
        }
        // The handler's state right after init, before any invocation: what a SnapStart snapshot
        // holds. Each "restore" hands a copy of it to a new environment.
        Api.State snapshot = copy(Handler.STATE);
        out.println("{\"ready\":true}");
        out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            String answer;
            try {
                answer = serve(handler, snapshot, line);
            } catch (RuntimeException e) {
                Map<String, Object> failed = new LinkedHashMap<>();
                failed.put("harness_error", e.toString());
                answer = Json.write(failed);
            }
            if (answer == null) {
                return;
            }
            out.println(answer);
            out.flush();
        }
    }

    @SuppressWarnings("unchecked")
    private static String serve(Handler handler, Api.State snapshot, String line) throws IOException {
        Map<String, Object> command = (Map<String, Object>) Json.parse(line, 64, Integer.MAX_VALUE);
        String op = (String) command.get("op");
        Map<String, Object> answer = new LinkedHashMap<>();
        switch (op) {
            case "quit":
                return null;
            case "invoke": {
                byte[] event = command.containsKey("raw")
                        ? ((String) command.get("raw")).getBytes(StandardCharsets.UTF_8)
                        : Json.write(command.get("event")).getBytes(StandardCharsets.UTF_8);
                return new String(invoke(handler, new ByteArrayInputStream(event), command.get("request_id")),
                        StandardCharsets.UTF_8);
            }
            case "restore": {
                // One environment restored from the snapshot, serving `invocations` events in turn.
                byte[] event = Json.write(command.get("event")).getBytes(StandardCharsets.UTF_8);
                int invocations = (int) (double) (Double) command.get("invocations");
                Api.State restored = copy(snapshot);
                StringBuilder all = new StringBuilder("[");
                for (int i = 0; i < invocations; i++) {
                    byte[] response = Api.handle(new ByteArrayInputStream(event), null, restored);
                    all.append(i == 0 ? "" : ",").append(new String(response, StandardCharsets.UTF_8));
                }
                return "{\"responses\":" + all.append("]}");
            }
            case "broken": {
                InputStream failing = new InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new IOException("the invocation stream broke");
                    }
                };
                return new String(invoke(handler, failing, command.get("request_id")), StandardCharsets.UTF_8);
            }
            case "parse": {
                int depth = command.containsKey("max_depth") ? (int) (double) (Double) command.get("max_depth") : 64;
                int chars = command.containsKey("max_chars")
                        ? (int) (double) (Double) command.get("max_chars") : Integer.MAX_VALUE;
                try {
                    Object value = Json.parse((String) command.get("text"), depth, chars);
                    answer.put("ok", Boolean.TRUE);
                    answer.put("value", portable(value));
                } catch (JsonException e) {
                    answer.put("ok", Boolean.FALSE);
                    answer.put("offset", (long) e.offset);
                    answer.put("message", e.getMessage());
                }
                return Json.write(answer);
            }
            case "bench": {
                byte[] event = Json.write(command.get("event")).getBytes(StandardCharsets.UTF_8);
                int iterations = (int) (double) (Double) command.get("iterations");
                List<Object> nanos = new ArrayList<>();
                for (int i = 0; i < iterations; i++) {
                    long start = System.nanoTime();
                    ByteArrayOutputStream sink = new ByteArrayOutputStream();
                    handler.handleRequest(new ByteArrayInputStream(event), sink);
                    nanos.add((double) (System.nanoTime() - start));
                }
                answer.put("ns", nanos);
                return Json.write(answer);
            }
            case "sign": {
                Map<String, String> extra = new TreeMap<>();
                Object given = command.get("extra_headers");
                if (given instanceof Map) {
                    for (Map.Entry<String, Object> e : ((Map<String, Object>) given).entrySet()) {
                        extra.put(e.getKey(), (String) e.getValue());
                    }
                }
                Object token = command.get("session_token");
                Map<String, String> headers = S3.signGet((String) command.get("host"), (String) command.get("path"),
                        (String) command.get("region"), (String) command.get("access_key"),
                        (String) command.get("secret_key"), token instanceof String ? (String) token : null,
                        (String) command.get("amz_date"), extra);
                answer.put("headers", headers);
                return Json.write(answer);
            }
            case "write_number":
                try {
                    answer.put("json", Json.write(Double.parseDouble((String) command.get("text"))));
                } catch (IllegalArgumentException e) {
                    answer.put("refused", e.getMessage());
                }
                return Json.write(answer);
            case "quote":
                return "{\"value\":" + Json.quote((String) command.get("text")) + "}";
            case "amz_date":
                answer.put("value", S3.amzDate((long) (double) (Double) command.get("epoch_ms")));
                return Json.write(answer);
            case "uri_encode":
                answer.put("value", S3.uriEncode((String) command.get("text"), Boolean.TRUE.equals(command.get("keep_slash"))));
                return Json.write(answer);
            default:
                throw new IllegalArgumentException("unknown op " + op);
        }
    }

    /** Every field of {@code state} as it stands: what a memory snapshot restores. */
    private static Api.State copy(Api.State state) {
        Api.State copy = new Api.State(state.model, state.runtime, state.initType, state.initMs, state.maxInstances);
        copy.instanceId = state.instanceId;
        copy.first = state.first;
        return copy;
    }

    /** The value with each non-finite double as {"$double": "Infinity"} (JSON has none). */
    @SuppressWarnings("unchecked")
    private static Object portable(Object value) {
        if (value instanceof Double && !Double.isFinite((Double) value)) {
            Map<String, Object> marker = new LinkedHashMap<>();
            marker.put("$double", value.toString());
            return marker;
        }
        if (value instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object item : (List<Object>) value) {
                out.add(portable(item));
            }
            return out;
        }
        if (value instanceof Map) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : ((Map<String, Object>) value).entrySet()) {
                out.put(e.getKey(), portable(e.getValue()));
            }
            return out;
        }
        return value;
    }

    private static byte[] invoke(Handler handler, InputStream event, Object requestId) throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        if (requestId instanceof String) {
            handler.handleRequest(event, sink, new InvocationContext((String) requestId));
        } else {
            handler.handleRequest(event, sink);
        }
        return sink.toByteArray();
    }
}
