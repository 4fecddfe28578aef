"""Starting TensorFlow for training: quiet, one thread unless asked, deterministic kernels.

Imported lazily by the functions that need TensorFlow, so the reference evaluator and
``python -m model evaluate`` start without it.
"""

from __future__ import annotations

import os
from typing import Any


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up chatter unless the user asked for it."""
    # Level 3: even its ERROR lines here are harmless version chatter from tf.data.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # oneDNN picks kernels by CPU; Eigen's are compiled in. The stored rounding makes the
    # artifact independent of either (a test trains under both), this only narrows the gap.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def training_tensorflow() -> Any:
    """The ``tensorflow`` module, set up for reproducible training."""
    quiet_tensorflow()
    import tensorflow as tf

    # One thread unless the user asks for more with TensorFlow's own variables: fair to the
    # other processes on a small box. The bytes do not depend on it (a test trains with 1
    # and 2). The setters refuse once TensorFlow has started (a second training in one
    # process); the first call has already set them then.
    try:
        if "TF_NUM_INTRAOP_THREADS" not in os.environ:
            tf.config.threading.set_intra_op_parallelism_threads(1)
        if "TF_NUM_INTEROP_THREADS" not in os.environ:
            tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass
    tf.config.experimental.enable_op_determinism()
    return tf
