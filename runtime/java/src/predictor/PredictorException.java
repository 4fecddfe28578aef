package predictor;

/**
 * Base of every error the function raises on purpose (unchecked, like minimal-json's).
 *
 * <pre>
 * PredictorException      base
 * ├── InitException       the instance cannot start: artifact missing, corrupt, of another
 * │                       schema or model version, download failed; names the path and problem
 * └── RequestException    a request the function refuses: HTTP status and contract error code
 * </pre>
 *
 * {@link JsonException} stands apart: it belongs to the JSON reader, which knows no HTTP.
 */
public class PredictorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PredictorException(String message) {
        super(message);
    }
}
