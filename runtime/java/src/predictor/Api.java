package predictor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The HTTP contract of docs/api.md: API Gateway HTTP API payload 2.0 in, proxy response out.
 *
 * <p>Every check happens in the order docs/api.md lists, the order runtime/python/_http_api.py
 * follows too, so both functions answer every request with the same status and code.
 */
final class Api {
    static final int MAX_DEPTH = 64;
    /** Lambda's limit for a synchronous invocation payload, applied to the decoded body. */
    static final int MAX_BODY_BYTES = 6 * 1024 * 1024;
    /** Lambda never sends more than 6 MB; anything far beyond is not an invocation. */
    static final int MAX_EVENT_BYTES = 16 * 1024 * 1024;

    private Api() {
    }

    /**
     * What an instance keeps between invocations.
     *
     * <p>The instance id is drawn at the first invocation, not in the static initialiser: with
     * SnapStart every environment restored from one snapshot shares what init made, so an id
     * drawn there would be the same in all of them (AWS's SnapStart uniqueness guidance: create
     * unique state after restore). Drawing it lazily needs no CRaC hook, hence no
     * {@code org.crac} dependency, and costs init nothing.
     */
    static final class State {
        final Model model;
        final String runtime;
        /** AWS_LAMBDA_INITIALIZATION_TYPE: on-demand, provisioned-concurrency or snap-start. */
        final String initType;
        final double initMs;
        final int maxInstances;
        /** Empty until the first invocation draws it. */
        String instanceId = "";
        /** True until the first invocation has been answered. */
        boolean first = true;

        State(Model model, String runtime, String initType, double initMs, int maxInstances) {
            this.model = model;
            this.runtime = runtime;
            this.initType = initType;
            this.initMs = initMs;
            this.maxInstances = maxInstances;
        }

        /** Whether init ran ahead of the first request (provisioned concurrency, SnapStart). */
        boolean initAheadOfTime() {
            return "provisioned-concurrency".equals(initType) || "snap-start".equals(initType);
        }
    }

    /** Answers one invocation (the raw event on {@code in}); never throws. */
    static byte[] handle(InputStream in, String contextRequestId, State state) {
        String rid = contextRequestId;
        String allow = null;
        try {
            Object event = readEvent(in);
            if (rid == null || rid.isEmpty()) {
                rid = eventRequestId(event);
            }
            String[] route = route(event);
            String method = route[0];
            String path = route[1];
            String allowed = "/predict".equals(path) ? "POST" : "/health".equals(path) ? "GET" : null;
            if (allowed == null) {
                throw new RequestException(404, "not_found", "no route " + (path.isEmpty() ? "(empty)" : path)
                        + "; the routes are POST /predict and GET /health");
            }
            if (!allowed.equals(method)) {
                allow = allowed;
                throw new RequestException(405, "method_not_allowed", path + " answers " + allowed
                        + " only, not " + (method.isEmpty() ? "(no method)" : method));
            }
            String body = "/health".equals(path) ? health(state) : predict(event, state);
            return response(200, body, rid, state, null);
        } catch (RequestException e) {
            return response(e.status, error(e.code, e.getMessage()), rid, state, allow);
        } catch (Exception | StackOverflowError e) {
            // Logged for CloudWatch with the request id; the client gets the id, not the trace.
            String id = rid == null ? "unknown" : rid;
            System.err.println("internal error, request id " + id + ":");
            e.printStackTrace();
            return response(500, error("internal_error", "internal error; request id " + id), id, state, null);
        }
    }

    private static Object readEvent(InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(MAX_EVENT_BYTES + 1);
        if (bytes.length > MAX_EVENT_BYTES) {
            throw new RequestException(413, "payload_too_large",
                    "the event is larger than " + MAX_EVENT_BYTES + " bytes");
        }
        try {
            String text = strictUtf8(bytes);
            return Json.parse(text, MAX_DEPTH, MAX_EVENT_BYTES);
        } catch (CharacterCodingException | JsonException e) {
            // Lambda always sends JSON; anything else is treated like an event with no route,
            // as the Python function sees any non-object event.
            return null;
        }
    }

    static String strictUtf8(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes)).toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value) {
        return value instanceof Map ? (Map<String, Object>) value : null;
    }

    static String eventRequestId(Object event) {
        Map<String, Object> map = asMap(event);
        Map<String, Object> context = map == null ? null : asMap(map.get("requestContext"));
        Object id = context == null ? null : context.get("requestId");
        return id instanceof String && !((String) id).isEmpty() ? (String) id : "unknown";
    }

    /** {method, path} from requestContext.http.method and rawPath, else from routeKey. */
    static String[] route(Object event) {
        String method = "";
        String path = "";
        Map<String, Object> map = asMap(event);
        if (map != null) {
            Map<String, Object> context = asMap(map.get("requestContext"));
            Map<String, Object> http = context == null ? null : asMap(context.get("http"));
            if (http != null && http.get("method") instanceof String) {
                method = (String) http.get("method");
            }
            if (map.get("rawPath") instanceof String) {
                path = (String) map.get("rawPath");
            }
            Object routeKey = map.get("routeKey");
            if ((method.isEmpty() || path.isEmpty()) && routeKey instanceof String
                    && ((String) routeKey).indexOf(' ') >= 0) {
                String key = (String) routeKey;
                int space = key.indexOf(' ');
                if (method.isEmpty()) {
                    method = key.substring(0, space);
                }
                if (path.isEmpty()) {
                    path = key.substring(space + 1);
                }
            }
            // A named stage shows up as the first path segment of rawPath: /prod/predict.
            Object stage = context == null ? null : context.get("stage");
            if (stage instanceof String && !((String) stage).isEmpty() && !"$default".equals(stage)) {
                String prefix = "/" + stage;
                if (path.startsWith(prefix + "/")) {
                    path = path.substring(prefix.length());
                }
            }
        }
        return new String[] {method, path};
    }

    /** The request body as text, decoded and bounded, or RequestException. */
    static String bodyText(Map<String, Object> event) {
        Object raw = event.get("body");
        if (raw == null || raw == Json.NULL) {
            raw = "";
        }
        if (!(raw instanceof String)) {
            throw new RequestException(400, "invalid_request", "the event's body is not a string");
        }
        String body = (String) raw;
        if (Boolean.TRUE.equals(event.get("isBase64Encoded"))) {
            // Strict base64: padded to a multiple of 4, the standard alphabet, '=' only at the end.
            int end = body.length();
            while (end > 0 && body.charAt(end - 1) == '=') {
                end--;
            }
            int padding = body.length() - end;
            boolean valid = body.length() % 4 == 0 && padding <= 2;
            for (int i = 0; valid && i < end; i++) {
                char c = body.charAt(i);
                valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                        || c == '+' || c == '/';
            }
            if (!valid) {
                throw invalidJson("the body is marked base64 but is not valid base64");
            }
            long size = (long) body.length() / 4 * 3 - padding;
            if (size > MAX_BODY_BYTES) {
                throw tooLarge(size);
            }
            byte[] data = Base64.getDecoder().decode(body);
            try {
                return strictUtf8(data);
            } catch (CharacterCodingException e) {
                throw invalidJson("the body is not UTF-8");
            }
        }
        long size = 0;
        int pairs = 0; // surrogate pairs so far: the position is in code points, as in Python
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c < 0x80) {
                size += 1;
            } else if (c < 0x800) {
                size += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < body.length()
                    && Character.isLowSurrogate(body.charAt(i + 1))) {
                size += 4;
                i++;
                pairs++;
            } else if (Character.isSurrogate(c)) {
                throw invalidJson("the body is not UTF-8 (lone surrogate at " + (i - pairs) + ")");
            } else {
                size += 3;
            }
        }
        if (size > MAX_BODY_BYTES) {
            throw tooLarge(size);
        }
        return body;
    }

    private static RequestException invalidJson(String detail) {
        return new RequestException(400, "invalid_json", "the body is not valid JSON: " + detail);
    }

    private static RequestException tooLarge(long size) {
        return new RequestException(413, "payload_too_large", "the body is " + size
                + " bytes; the limit is " + MAX_BODY_BYTES + " bytes (6 MB)");
    }

    /** The instances list of a parsed body, checked in the documented order. */
    @SuppressWarnings("unchecked")
    static List<Object> instancesOf(Object doc, int maxInstances) {
        Map<String, Object> map = asMap(doc);
        if (map == null) {
            throw new RequestException(400, "invalid_request",
                    "the body must be a JSON object like {\"instances\": [...]}");
        }
        for (String key : map.keySet()) {
            if (!"instances".equals(key) && !"signature_name".equals(key)) {
                throw new RequestException(400, "invalid_request", "unknown top-level key "
                        + Json.quote(key) + "; a request has 'instances' and optionally 'signature_name'");
            }
        }
        if (!map.containsKey("instances")) {
            throw new RequestException(400, "invalid_request", "the body lacks \"instances\"");
        }
        if (map.containsKey("signature_name") && !(map.get("signature_name") instanceof String)) {
            throw new RequestException(400, "invalid_request", "\"signature_name\" must be a string");
        }
        Object instances = map.get("instances");
        if (!(instances instanceof List)) {
            throw new RequestException(400, "invalid_request", "\"instances\" must be a list of objects");
        }
        List<Object> list = (List<Object>) instances;
        if (list.isEmpty()) {
            throw new RequestException(400, "invalid_request", "\"instances\" is empty");
        }
        if (list.size() > maxInstances) {
            throw new RequestException(413, "too_many_instances", list.size()
                    + " instances; the limit is " + maxInstances + " per request");
        }
        return list;
    }

    private static String predict(Object event, State state) {
        String text = bodyText(asMap(event));
        Object doc;
        try {
            doc = Json.parse(text, MAX_DEPTH, MAX_BODY_BYTES);
        } catch (JsonException e) {
            throw invalidJson(e.getMessage());
        }
        double[] probabilities = state.model.score(instancesOf(doc, state.maxInstances));
        double threshold = state.model.threshold;
        StringBuilder out = new StringBuilder(64 + probabilities.length * 48);
        out.append("{\"predictions\":[");
        for (int i = 0; i < probabilities.length; i++) {
            double p = probabilities[i];
            out.append(i == 0 ? "{\"probability\":" : ",{\"probability\":").append(Double.toString(p))
                    .append(p >= threshold ? ",\"anomaly\":true}" : ",\"anomaly\":false}");
        }
        out.append("],\"model_version\":");
        Json.quote(state.model.modelVersion, out);
        return out.append('}').toString();
    }

    private static String health(State state) {
        Model model = state.model;
        StringBuilder out = new StringBuilder(256);
        out.append("{\"status\":\"ok\",\"runtime\":");
        Json.quote(state.runtime, out);
        out.append(",\"model_version\":");
        Json.quote(model.modelVersion, out);
        out.append(",\"subset\":");
        Json.quote(model.subset, out);
        out.append(",\"features\":[");
        for (int i = 0; i < model.names.length; i++) {
            if (i > 0) {
                out.append(',');
            }
            Json.quote(model.names[i], out);
        }
        out.append("],\"inputs\":[");
        for (int i = 0; i < model.names.length; i++) {
            out.append(i > 0 ? ",{\"name\":" : "{\"name\":");
            Json.quote(model.names[i], out);
            if (model.numeric[i]) {
                out.append(",\"kind\":\"numeric\"}");
            } else {
                out.append(",\"kind\":\"categorical\",\"vocabulary\":");
                Json.write(model.vocabularies.get(i), out);
                out.append('}');
            }
        }
        out.append("],\"threshold\":").append(Double.toString(model.threshold));
        out.append(",\"max_instances\":").append(state.maxInstances).append('}');
        return out.toString();
    }

    private static String error(String code, String message) {
        StringBuilder out = new StringBuilder(64 + message.length());
        out.append("{\"error\":{\"code\":");
        Json.quote(code, out);
        out.append(",\"message\":");
        Json.quote(message, out);
        return out.append("}}").toString();
    }

    private static byte[] response(int status, String body, String rid, State state, String allow) {
        StringBuilder out = new StringBuilder(body.length() + 400);
        out.append("{\"statusCode\":").append(status);
        boolean first = state.first;
        if (first) {
            // After a SnapStart restore this is the first code that runs in this environment alone.
            state.instanceId = Handler.instanceId();
            state.first = false;
        }
        out.append(",\"headers\":{\"content-type\":\"application/json\",\"x-cold-start\":");
        out.append(first && !state.initAheadOfTime() ? "\"true\"" : "\"false\"");
        out.append(",\"x-init-type\":");
        Json.quote(state.initType, out);
        out.append(",\"x-instance-id\":");
        Json.quote(state.instanceId, out);
        out.append(",\"x-runtime\":");
        Json.quote(state.runtime, out);
        out.append(",\"x-model-version\":");
        Json.quote(state.model.modelVersion, out);
        out.append(",\"x-request-id\":");
        Json.quote(rid == null ? "unknown" : rid, out);
        if (first) {
            if ("snap-start".equals(state.initType)) {
                // Init ran once, before the snapshot, for every restored environment: its time is
                // not this instance's, and the platform times the restore (Restore Duration).
                out.append(",\"x-restore\":\"true\"");
            } else {
                out.append(",\"x-init-ms\":\"").append(millis(state.initMs)).append('"');
            }
        }
        if (allow != null) {
            out.append(",\"allow\":\"").append(allow).append('"');
        }
        out.append("},\"body\":");
        Json.quote(body, out);
        out.append(",\"isBase64Encoded\":false}");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** {@code ms} with three decimals, without java.util.Formatter (slow to load at init). */
    static String millis(double ms) {
        long micros = Math.round(ms * 1000.0);
        long frac = micros % 1000;
        return (micros / 1000) + "." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + frac;
    }

    static String jsonType(Object value) {
        if (value == null || value == Json.NULL) {
            return "null";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        if (value instanceof Double) {
            return "a number";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof List) {
            return "an array";
        }
        return "an object";
    }
}
