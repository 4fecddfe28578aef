package predictor;

/** The instance cannot start; the message says what is wrong and what to do. */
public final class InitException extends PredictorException {
    private static final long serialVersionUID = 1L;

    InitException(String message) {
        super(message);
    }
}
