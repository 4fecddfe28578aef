"""Write model.onnx beside this file: a logistic regression (6 features → probability) as an
ONNX graph, ``Sigmoid(X · W + b)``, with fixed weights, so its bytes are the same every time.

Needs the ``onnx`` package (``pip install onnx``), which only this script uses: the function
itself needs ``onnxruntime`` and ``numpy`` alone (requirements.txt).
"""

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
WEIGHTS = [[0.8], [-1.1], [0.35], [1.6], [-0.45], [0.05]]
BIAS = [-0.2]


def main() -> int:
    weights = numpy_helper.from_array(np.array(WEIGHTS, dtype=np.float32), name="W")
    bias = numpy_helper.from_array(np.array(BIAS, dtype=np.float32), name="b")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["X", "W"], ["XW"]),
            helper.make_node("Add", ["XW", "b"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["probability"]),
        ],
        "logistic_regression",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", len(WEIGHTS)])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["batch", 1])],
        initializer=[weights, bias],
    )
    model = helper.make_model(
        graph,
        producer_name="lambda-model-study examples",
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = 8  # readable by every onnxruntime since 1.10
    onnx.checker.check_model(model)
    (HERE / "model.onnx").write_bytes(model.SerializeToString())
    print(f"wrote {HERE / 'model.onnx'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
