package com.amazonaws.services.lambda.runtime;

/**
 * COMPILE-TIME ONLY. NEVER PACKAGE THIS CLASS.
 *
 * <p>Why it exists: AWS's managed Java runtime hands the Lambda request id to a handler only
 * through a third parameter whose declared type is exactly this interface name (a handler whose
 * third parameter is {@code Object} is skipped, and the runtime falls back to the two-argument
 * overload). The function is JDK only, so instead of depending on aws-lambda-java-core we compile
 * {@code predictor.Handler} against this minimal declaration with the same fully-qualified name.
 *
 * <p>At run time the managed runtime already has the real interface on the JVM's class path
 * (aws-lambda-java-core sits next to the runtime client) and loads the function's classes with a
 * child class loader, so the handler's reference resolves to the real interface through the
 * parent. A copy of this file in the archive would at best be ignored (parent-first loading) and
 * at worst shadow the real one, so runtime/java/build.py compiles it into a scratch directory
 * outside the function's classes, and the package tests check the archive holds no
 * {@code com/amazonaws/} entries.
 *
 * <p>Only what the function calls is declared; the real interface has more methods, which is
 * harmless: a call is linked by name and descriptor against whatever interface is loaded.
 */
public interface Context {
    /** The id Lambda gives this invocation (the {@code RequestId} of the platform's REPORT line). */
    String getAwsRequestId();
}
