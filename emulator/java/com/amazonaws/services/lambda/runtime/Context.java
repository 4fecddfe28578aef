package com.amazonaws.services.lambda.runtime;

/**
 * The emulator's copy of the Lambda runtime's context interface, compiled with the bootstrap and
 * put on the JVM's class path ahead of the function's archive, as AWS's managed Java runtime puts
 * its own (from aws-lambda-java-core) on its class path. A handler whose third parameter is
 * declared with this name, such as predictor.Handler compiled against runtime/java/provided,
 * resolves it here and receives lambdaemu.Bootstrap's context object.
 *
 * <p>Only getters that need no other type are declared; a handler compiled against the full
 * aws-lambda-java-core that calls anything else (getLogger, getIdentity, getClientContext) fails
 * under the emulator with a NoSuchMethodError or AbstractMethodError naming the method.
 */
public interface Context {
    /** This invocation's id (Lambda-Runtime-Aws-Request-Id; the REPORT line's RequestId). */
    String getAwsRequestId();

    String getLogGroupName();

    String getLogStreamName();

    String getFunctionName();

    String getFunctionVersion();

    String getInvokedFunctionArn();

    /** Milliseconds left before the invocation's deadline, never negative. */
    int getRemainingTimeInMillis();

    int getMemoryLimitInMB();
}
