"""The rule table alone says what is supported and refused; every rule is exercised and checked."""

from __future__ import annotations

import numpy as np
import pytest

from advgui.core.autodiff import SUPPORTED_OPS, UnsupportedModel, build_gradient_model
from advgui.core.autodiff.build import GradientRuleError
from advgui.core.autodiff.table import RULES
from tests.helpers.gradient_cases import CASES
from tests.helpers.gradient_harness import SHAPE
from tests.helpers.tiny_graphs import Body


def test_unsupported_operator_is_refused_by_name() -> None:
    b = Body(SHAPE, np.float32)
    h = b.op("Sin", [b.conv("x", 2, 2)])  # no classifier family uses Sin: it has no rule
    with pytest.raises(UnsupportedModel, match=r"'sin\d+' \(Sin\).*not supported"):
        build_gradient_model(b.classifier(h))


def test_supported_ops_cover_the_issue_list() -> None:
    wanted = {"Conv", "ConvTranspose", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid",
              "Tanh", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool", "Concat", "Split",
              "Add", "Sub", "Mul", "Div", "Flatten", "Reshape", "Transpose", "Gemm", "MatMul",
              "Softmax", "LogSoftmax", "Identity", "Dropout"}
    assert wanted <= set(SUPPORTED_OPS)


def test_every_case_is_exercised() -> None:
    ops = set()
    for case in CASES.values():
        b = Body(SHAPE, np.float64)
        case(b)
        ops |= {n.op_type for n in b.nodes}
    untested = {op for op in RULES if op not in ops}
    assert untested <= {"Squeeze", "Unsqueeze", "Sum"}, untested


def test_supported_ops_and_the_refusal_come_from_the_table() -> None:
    assert SUPPORTED_OPS == sorted(RULES)
    b = Body(SHAPE, np.float32)
    with pytest.raises(UnsupportedModel) as refused:
        build_gradient_model(b.classifier(b.op("Sin", [b.conv("x", 2, 2)])))
    assert str(refused.value).endswith(f"(supported: {', '.join(sorted(RULES))})")


@pytest.mark.parametrize("returned", [0, 1, 3])
def test_a_rule_returning_the_wrong_number_of_gradients_is_an_internal_error(
        monkeypatch: pytest.MonkeyPatch, returned: int) -> None:
    # Mul has two inputs; a rule that returned one entry used to lose the other input's gradient.
    def wrong_mul(ctx, node, gouts, needs):
        return [gouts[0]] * returned

    monkeypatch.setitem(RULES, "Mul", wrong_mul)
    b = Body(SHAPE, np.float64)
    h = b.op("Mul", [b.conv("x", 2, 3), b.weight(3, 1, 1)])
    with pytest.raises(GradientRuleError,
                       match=rf"the Mul rule returned {returned} gradient entries .* 2 inputs"):
        build_gradient_model(b.classifier(h))


def test_a_rule_returning_no_list_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(RULES, "Relu", lambda ctx, node, gouts, needs: gouts[0])
    b = Body(SHAPE, np.float64)
    with pytest.raises(GradientRuleError, match=r"the Relu rule returned a str .* 1 inputs"):
        build_gradient_model(b.classifier(b.op("Relu", [b.conv("x", 2, 3)])))


RULE_MODULES = {fn.__module__ for fn in RULES.values()}
SHARED = {"advgui.core.autodiff.context", "advgui.core.autodiff.helpers",
          "advgui.core.autodiff.window"}


@pytest.mark.parametrize("module", sorted(RULE_MODULES))
def test_rule_modules_import_only_the_shared_helpers(module: str) -> None:
    """No registration by import side effect and no cycle: the table imports the rule modules,
    they import only context, helpers and window (never the table, never each other)."""
    import ast
    import importlib

    source = open(importlib.import_module(module).__file__).read()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
    ours = {m for m in imported if m.startswith("advgui")}
    assert ours <= SHARED, ours - SHARED
