package predictor;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The model artifact (docs/model-artifact.md): read, checked, ready to score.
 *
 * <p>Scoring follows runtime/python/_model.py step for step (same checks in the same order,
 * same arithmetic in the same order), so both functions give the same status, code and bits.
 */
final class Model {
    static final int SCHEMA_VERSION = 1;
    static final String MEMBER = "model.json";
    private static final int MAX_MODEL_CHARS = 64 * 1024 * 1024;

    final String modelVersion;
    final String subset;
    final double bias;
    final double threshold;
    /** Input names in model order. */
    final String[] names;
    final boolean[] numeric;
    final boolean[] hasLog;
    final double[] logOffset;
    final double[] mean;
    final double[] std;
    final double[] weight;
    /** For a categorical input: the weighted sum of its columns for each vocabulary value. */
    final HashMap<String, Double>[] contribution;
    final double[] unknownContribution;
    final List<List<String>> vocabularies;
    private final HashSet<String> nameSet;

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Model(Object parsed, String source) {
        if (!(parsed instanceof Map)) {
            throw bad(source, "model.json is not a JSON object");
        }
        Map<String, Object> doc = (Map<String, Object>) parsed;
        Object version = doc.get("schema_version");
        if (!(version instanceof Double) || (Double) version != SCHEMA_VERSION
                || !isIntegerText(version)) {
            throw bad(source, "schema_version is " + show(version) + "; this function reads schema version "
                    + SCHEMA_VERSION + " only (rebuild the artifact or update the function)");
        }
        modelVersion = string(doc, "model_version", "", source);
        subset = string(doc, "subset", "", source);
        List<Object> inputs = list(doc, "inputs", "", source);
        int columns = integer(doc.get("columns"), "columns", source);
        double[] weights = doubles(list(doc, "weights", "", source), "weights", source);
        bias = finite(doc.get("bias"), "bias", source);
        threshold = finite(doc.get("threshold"), "threshold", source);
        if (weights.length != columns) {
            throw bad(source, "columns is " + columns + " but there are " + weights.length + " weights");
        }
        int n = inputs.size();
        names = new String[n];
        numeric = new boolean[n];
        hasLog = new boolean[n];
        logOffset = new double[n];
        mean = new double[n];
        std = new double[n];
        weight = new double[n];
        contribution = new HashMap[n];
        unknownContribution = new double[n];
        vocabularies = new ArrayList<>();
        nameSet = new HashSet<>();
        int column = 0;
        for (int i = 0; i < n; i++) {
            String where = "inputs[" + i + "]";
            if (!(inputs.get(i) instanceof Map)) {
                throw bad(source, where + " is not an object");
            }
            Map<String, Object> spec = (Map<String, Object>) inputs.get(i);
            names[i] = string(spec, "name", where, source);
            Object kind = spec.get("kind");
            if ("numeric".equals(kind)) {
                numeric[i] = true;
                Object offset = spec.get("log_offset");
                hasLog[i] = offset != null && offset != Json.NULL;
                logOffset[i] = hasLog[i] ? finite(offset, where + ".log_offset", source) : 0.0;
                mean[i] = finite(spec.get("mean"), where + ".mean", source);
                std[i] = finite(spec.get("std"), where + ".std", source);
                if (!(std[i] > 0.0)) {
                    throw bad(source, where + ".std must be > 0, got " + show(spec.get("std")));
                }
                if (column >= columns) {
                    throw bad(source, "the inputs expand to more than columns=" + columns + " columns");
                }
                weight[i] = weights[column++];
                vocabularies.add(null);
            } else if ("categorical".equals(kind)) {
                List<Object> vocabulary = list(spec, "vocabulary", where, source);
                List<String> values = new ArrayList<>();
                for (Object v : vocabulary) {
                    if (!(v instanceof String)) {
                        values = null;
                        break;
                    }
                    values.add((String) v);
                }
                if (values == null || values.isEmpty()) {
                    throw bad(source, where + ".vocabulary must be a non-empty list of strings");
                }
                if (new HashSet<>(values).size() != values.size()) {
                    throw bad(source, where + ".vocabulary has duplicate values");
                }
                if (!"zeros".equals(spec.get("unknown"))) {
                    throw bad(source, where + ".unknown is " + show(spec.get("unknown"))
                            + "; schema 1 knows 'zeros'");
                }
                int k = values.size();
                double[] means = doubles(list(spec, "mean", where, source), where + ".mean", source);
                double[] stds = doubles(list(spec, "std", where, source), where + ".std", source);
                if (means.length != k || stds.length != k) {
                    throw bad(source, where + ".mean and .std must have " + k + " entries (one per value)");
                }
                for (double s : stds) {
                    if (!(s > 0.0)) {
                        throw bad(source, where + ".std must be > 0 everywhere");
                    }
                }
                if (column + k > columns) {
                    throw bad(source, "the inputs expand to more than columns=" + columns + " columns");
                }
                HashMap<String, Double> sums = new HashMap<>();
                for (int hot = 0; hot < k; hot++) {
                    sums.put(values.get(hot), oneHotSum(hot, means, stds, weights, column));
                }
                contribution[i] = sums;
                unknownContribution[i] = oneHotSum(-1, means, stds, weights, column);
                column += k;
                vocabularies.add(values);
            } else {
                throw bad(source, where + ".kind is " + show(kind)
                        + "; schema 1 knows 'numeric' and 'categorical'");
            }
            nameSet.add(names[i]);
        }
        if (column != columns) {
            throw bad(source, "the inputs expand to " + column + " columns but columns is " + columns);
        }
        if (nameSet.size() != n) {
            throw bad(source, "two inputs have the same name");
        }
    }

    private static double oneHotSum(int hot, double[] means, double[] stds, double[] weights, int first) {
        double s = 0.0;
        for (int i = 0; i < means.length; i++) {
            s += weights[first + i] * ((((i == hot) ? 1.0 : 0.0) - means[i]) / stds[i]);
        }
        return s;
    }

    /** Reads, parses and checks the artifact at {@code path}; InitException says what is wrong. */
    static Model load(String path, String expectedVersion) {
        byte[] content = readArtifact(path);
        Object parsed;
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(content)).toString();
            parsed = Json.parse(text, 64, MAX_MODEL_CHARS);
        } catch (CharacterCodingException | JsonException e) {
            throw new InitException("model artifact at " + path + ": " + MEMBER
                    + " is not valid JSON: " + e.getMessage());
        }
        Model model = new Model(parsed, path);
        if (expectedVersion != null && !expectedVersion.equals(model.modelVersion)) {
            throw new InitException("model artifact at " + path + " has model_version '"
                    + model.modelVersion + "' but MODEL_VERSION is '" + expectedVersion
                    + "': deploy the matching artifact or update MODEL_VERSION");
        }
        return model;
    }

    static byte[] readArtifact(String path) {
        File file = new File(path);
        if (!file.isFile()) {
            throw new InitException("model artifact not found at " + path + ": build it (`make model`) "
                    + "and set MODEL_PATH to its location, or ship it as model.zip in the package");
        }
        byte[] data;
        try (FileInputStream in = new FileInputStream(file)) {
            data = in.readAllBytes();
        } catch (IOException e) {
            throw new InitException("model artifact at " + path + " cannot be read: " + e);
        }
        try {
            return unzipSingle(data);
        } catch (IllegalStateException e) {
            throw new InitException("model artifact at " + path + " is not a valid model zip: " + e.getMessage());
        }
    }

    private static int u16(byte[] data, int at) {
        return (data[at] & 0xff) | (data[at + 1] & 0xff) << 8;
    }

    private static long u32(byte[] data, int at) {
        return u16(data, at) | (long) u16(data, at + 2) << 16;
    }

    private static boolean signature(byte[] data, int at, int third, int fourth) {
        return at >= 0 && at + 4 <= data.length && data[at] == 'P' && data[at + 1] == 'K'
                && data[at + 2] == third && data[at + 3] == fourth;
    }

    /**
     * The bytes of the single member model.json. Read by hand, as the Python function does (and
     * because java.util.zip.ZipFile drags the NIO file system into init): the end record, the
     * central directory, the local header, then Inflater and CRC-32.
     */
    private static byte[] unzipSingle(byte[] data) {
        int eocd = -1;
        for (int at = data.length - 22; at >= Math.max(0, data.length - 22 - 0xFFFF); at--) {
            if (signature(data, at, 5, 6)) {
                eocd = at;
                break;
            }
        }
        if (eocd < 0) {
            throw new IllegalStateException("no zip end-of-central-directory record (not a zip file, or truncated)");
        }
        int entries = u16(data, eocd + 10);
        long cdSize = u32(data, eocd + 12);
        long cdOffset = u32(data, eocd + 16);
        if (cdOffset + cdSize > eocd) {
            throw new IllegalStateException("the central directory is out of bounds (truncated or zip64 file)");
        }
        List<String> names = new ArrayList<>();
        long[] member = null;
        int at = (int) cdOffset;
        for (int i = 0; i < entries; i++) {
            if (at + 46 > eocd || !signature(data, at, 1, 2)) {
                throw new IllegalStateException("bad central directory entry at byte " + at);
            }
            int nameLength = u16(data, at + 28);
            if (at + 46 + nameLength > eocd) {
                throw new IllegalStateException("bad central directory entry at byte " + at);
            }
            String name = new String(data, at + 46, nameLength, StandardCharsets.UTF_8);
            names.add(name);
            if (MEMBER.equals(name)) {
                // flags, method, crc-32, compressed size, uncompressed size, local header offset
                member = new long[] {u16(data, at + 8), u16(data, at + 10), u32(data, at + 16),
                    u32(data, at + 20), u32(data, at + 24), u32(data, at + 42)};
            }
            at += 46 + nameLength + u16(data, at + 30) + u16(data, at + 32);
        }
        if (member == null || names.size() != 1) {
            throw new IllegalStateException("expected exactly one member '" + MEMBER + "', found " + names);
        }
        if ((member[0] & 1) != 0) {
            throw new IllegalStateException(MEMBER + " is encrypted");
        }
        long local = member[5];
        if (local + 30 > data.length || !signature(data, (int) local, 3, 4)) {
            throw new IllegalStateException("bad local header for " + MEMBER + " at byte " + local);
        }
        long start = local + 30 + u16(data, (int) local + 26) + u16(data, (int) local + 28);
        long compressed = member[3];
        long size = member[4];
        if (start + compressed > data.length || size > MAX_MODEL_CHARS) {
            throw new IllegalStateException(MEMBER + " is truncated");
        }
        byte[] content;
        if (member[1] == 8) {
            content = new byte[(int) size];
            Inflater inflater = new Inflater(true);
            try {
                inflater.setInput(data, (int) start, (int) compressed);
                int filled = 0;
                while (filled < content.length && !inflater.finished()) {
                    int n = inflater.inflate(content, filled, content.length - filled);
                    if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                        break;
                    }
                    filled += n;
                }
                if (filled != content.length) {
                    throw new IllegalStateException(MEMBER + " fails its size or CRC-32 check (corrupt file)");
                }
            } catch (DataFormatException e) {
                throw new IllegalStateException(MEMBER + " does not inflate: " + e.getMessage());
            } finally {
                inflater.end();
            }
        } else if (member[1] == 0) {
            content = Arrays.copyOfRange(data, (int) start, (int) (start + compressed));
        } else {
            throw new IllegalStateException(MEMBER + " uses compression method " + member[1]
                    + " (only stored or deflate)");
        }
        CRC32 crc = new CRC32();
        crc.update(content);
        if (content.length != size || crc.getValue() != member[2]) {
            throw new IllegalStateException(MEMBER + " fails its size or CRC-32 check (corrupt file)");
        }
        return content;
    }

    /** Probabilities, one per instance, or RequestException for the first problem. */
    @SuppressWarnings("unchecked")
    double[] score(List<Object> instances) {
        int count = instances.size();
        double[] out = new double[count];
        int n = names.length;
        for (int i = 0; i < count; i++) {
            Object item = instances.get(i);
            if (!(item instanceof Map)) {
                throw new RequestException(400, "invalid_request",
                        "instances[" + i + "] is " + Api.jsonType(item) + ", not an object");
            }
            Map<String, Object> inst = (Map<String, Object>) item;
            keyProblem(i, inst);
            double s = 0.0;
            for (int j = 0; j < n; j++) {
                Object v = inst.get(names[j]);
                if (numeric[j]) {
                    if (!(v instanceof Double) || !Double.isFinite((Double) v)) {
                        throw badValue(i, names[j], v, "a finite number");
                    }
                    double x = (Double) v;
                    if (hasLog[j]) {
                        double t = x + logOffset[j];
                        if (!(t > 0.0)) {
                            throw new RequestException(400, "invalid_value", "instances[" + i + "]."
                                    + names[j] + " is " + x + "; this feature is log-transformed and "
                                    + "needs a value > " + (-logOffset[j]));
                        }
                        x = StrictMath.log(t);
                    }
                    double c = (x - mean[j]) / std[j];
                    if (!Double.isFinite(c)) {
                        throw new RequestException(400, "invalid_value", "instances[" + i + "]."
                                + names[j] + " is " + v + ", too large for the model to score");
                    }
                    s += weight[j] * c;
                } else {
                    if (!(v instanceof String)) {
                        throw badValue(i, names[j], v, "a string");
                    }
                    Double sum = contribution[j].get(v);
                    s += sum != null ? sum : unknownContribution[j];
                }
            }
            double z = s + bias;
            double p;
            if (z >= 0.0) {
                p = 1.0 / (1.0 + StrictMath.exp(-z));
            } else if (z < 0.0) {
                double e = StrictMath.exp(z);
                p = e / (1.0 + e);
            } else {
                throw new RequestException(400, "invalid_value",
                        "instances[" + i + "] has values too large for the model to score");
            }
            out[i] = p;
        }
        return out;
    }

    private void keyProblem(int i, Map<String, Object> inst) {
        for (String key : inst.keySet()) {
            if (!nameSet.contains(key)) {
                throw new RequestException(400, "unknown_feature", "instances[" + i
                        + "] has unknown feature " + Json.quote(key) + "; the model's features are "
                        + String.join(", ", names));
            }
        }
        if (inst.size() != names.length) {
            for (String name : names) {
                if (!inst.containsKey(name)) {
                    throw new RequestException(400, "missing_feature", "instances[" + i
                            + "] lacks feature '" + name + "'; the model's features are "
                            + String.join(", ", names));
                }
            }
        }
    }

    private static RequestException badValue(int i, String name, Object v, String wanted) {
        String shown = v instanceof Double ? "not finite" : Api.jsonType(v);
        return new RequestException(400, "invalid_value",
                "instances[" + i + "]." + name + " is " + shown + "; expected " + wanted);
    }

    private static InitException bad(String source, String problem) {
        return new InitException("model artifact at " + source + ": " + problem);
    }

    private static String show(Object value) {
        return value == null ? "missing" : Json.write(value);
    }

    private static boolean isIntegerText(Object value) {
        double d = (Double) value;
        return d == Math.rint(d);
    }

    private static String string(Map<String, Object> obj, String key, String where, String source) {
        Object value = obj.get(key);
        if (!(value instanceof String)) {
            throw bad(source, (where.isEmpty() ? key : where + "." + key) + " must be a string, got "
                    + Api.jsonType(value));
        }
        return (String) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Map<String, Object> obj, String key, String where, String source) {
        Object value = obj.get(key);
        if (!(value instanceof List)) {
            throw bad(source, (where.isEmpty() ? key : where + "." + key) + " must be a list, got "
                    + Api.jsonType(value));
        }
        return (List<Object>) value;
    }

    private static int integer(Object value, String name, String source) {
        if (!(value instanceof Double) || (Double) value != Math.rint((Double) value)
                || (Double) value < 0 || (Double) value > Integer.MAX_VALUE) {
            throw bad(source, name + " must be a whole number, got " + show(value));
        }
        return (int) (double) (Double) value;
    }

    private static double finite(Object value, String name, String source) {
        if (!(value instanceof Double) || !Double.isFinite((Double) value)) {
            throw bad(source, name + " must be a finite number, got " + show(value));
        }
        return (Double) value;
    }

    private static double[] doubles(List<Object> values, String name, String source) {
        double[] out = new double[values.size()];
        for (int j = 0; j < out.length; j++) {
            out[j] = finite(values.get(j), name + "[" + j + "]", source);
        }
        return out;
    }
}
