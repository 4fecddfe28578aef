package predictor;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

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
        try (ZipFile zip = new ZipFile(file)) {
            List<String> members = new ArrayList<>();
            ZipEntry found = null;
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                members.add(entry.getName());
                if (MEMBER.equals(entry.getName())) {
                    found = entry;
                }
            }
            if (found == null || members.size() != 1) {
                throw new InitException("model artifact at " + path + " is not a valid model zip: expected "
                        + "exactly one member '" + MEMBER + "', found " + members);
            }
            byte[] content;
            try (InputStream in = zip.getInputStream(found)) {
                content = in.readAllBytes();
            }
            CRC32 crc = new CRC32();
            crc.update(content);
            if (content.length != found.getSize() || crc.getValue() != found.getCrc()) {
                throw new InitException("model artifact at " + path + " is not a valid model zip: "
                        + MEMBER + " fails its size or CRC-32 check (corrupt file)");
            }
            return content;
        } catch (ZipException e) {
            throw new InitException("model artifact at " + path + " is not a valid model zip: "
                    + e.getMessage());
        } catch (IOException e) {
            throw new InitException("model artifact at " + path + " cannot be read: " + e);
        }
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
