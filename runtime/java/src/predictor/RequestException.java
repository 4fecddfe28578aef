package predictor;

/** A refused request: {@link #status} and {@link #code} as in docs/api.md. */
public final class RequestException extends PredictorException {
    private static final long serialVersionUID = 1L;

    /** The HTTP status: 400, 404, 405 or 413. */
    public final int status;
    /** The contract's error code, e.g. {@code invalid_json}. */
    public final String code;

    RequestException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }
}
