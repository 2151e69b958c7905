"""The template sandbox and its resource limits, enforced on every render.

Jinja2's immutable sandbox stops attribute tricks but not work: ``'x'|center(300000000)``,
``9**9**9`` or nested loops behind a condition exhaust the backend. :class:`Sandbox` adds

- a **budget per render** (:func:`budget`): loop iterations, calls and filter applications
  (:data:`MAX_STEPS`), wall-clock time (:data:`MAX_RENDER_SECONDS`) and every character
  written by any output, macro bodies and ``{% set %}`` blocks included
  (:data:`MAX_PRODUCED_CHARS`); the template's AST is rewritten so that every loop and every
  output goes through the budget;
- **size checks before the work**: no string, list or argument above :data:`MAX_VALUE_CHARS`,
  no padding/width/count argument above it (``center``, ``indent``, ``batch``, ``ljust``,
  ``%300000000d``, ``{:>300000000}``), no ``replace``/``join``/``+``/``*`` whose result would
  be bigger, no integer result above :data:`MAX_INT_BITS`;
- a **static check** at compile time: loops nested deeper than :data:`MAX_LOOP_DEPTH`, or
  nested literal ranges whose product passes :data:`MAX_STEPS`, are refused even when a
  condition hides them from the sample render.

Every refusal is a :class:`jinja2.exceptions.SecurityError` (:class:`LimitExceeded`): the
caller turns it into a 422 naming the template part.
"""

from __future__ import annotations

import operator
import re
import string
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

__all__ = [
    "MAX_CREATED_CHARS",
    "MAX_INT_BITS",
    "MAX_LOOP_DEPTH",
    "MAX_OUTPUT_CHARS",
    "MAX_PRODUCED_CHARS",
    "MAX_RENDER_SECONDS",
    "MAX_STEPS",
    "MAX_VALUE_CHARS",
    "LimitExceeded",
    "Sandbox",
    "budget",
]

MAX_OUTPUT_CHARS = 200_000
"""The longest rendered part (subject, text or HTML body)."""
MAX_VALUE_CHARS = MAX_OUTPUT_CHARS
"""The longest string or list a template may build, and the biggest width or count."""
MAX_PRODUCED_CHARS = 1_000_000
"""Characters one render may write in all, macro bodies and ``{% set %}`` blocks included."""
MAX_STEPS = 100_000
"""Loop iterations, calls and filter applications in one render."""
MAX_CREATED_CHARS = 10_000_000
"""Characters (and items) of all the strings and lists filters, calls and operators may
make in one render: many values each within :data:`MAX_VALUE_CHARS`, kept in a list, stay
bounded too (``range(100000)|map('center', 199999)|list``)."""
MAX_RENDER_SECONDS = 2.0
MAX_INT_BITS = 10_000
MAX_LOOP_DEPTH = 3


class LimitExceeded(SecurityError):
    """A template that would take more time, memory or output than a message may."""


@dataclass(slots=True)
class _Budget:
    deadline: float
    steps: int = MAX_STEPS
    produced: int = MAX_PRODUCED_CHARS
    created: int = MAX_CREATED_CHARS


_BUDGET: ContextVar[_Budget | None] = ContextVar("payrec_template_budget", default=None)


@contextmanager
def budget(seconds: float = MAX_RENDER_SECONDS) -> Iterator[None]:
    """Render inside a fresh budget (one per template part)."""
    token = _BUDGET.set(_Budget(deadline=time.monotonic() + seconds))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _tick(cost: int = 1) -> None:
    current = _BUDGET.get()
    if current is None:  # compile-time constant folding: leave the work to the render
        raise LimitExceeded("template code runs only inside a render budget")
    current.steps -= cost
    if current.steps < 0:
        raise LimitExceeded(f"more than {MAX_STEPS} loop iterations, calls and filters")
    if time.monotonic() > current.deadline:
        raise LimitExceeded(f"rendering took longer than {MAX_RENDER_SECONDS:g} s")


def _charge(value: Any) -> Any:
    """A value a filter, call or operator made: within the value limits and the budget."""
    _check_value(value)
    current = _BUDGET.get()
    size = _size(value)
    if current is not None and size:
        current.created -= size
        if current.created < 0:
            raise LimitExceeded(f"rendering builds more than {MAX_CREATED_CHARS} characters")
    return value


def _count_output(value: Any) -> Any:
    """Every output piece passes here (the AST is rewritten so): charge its length."""
    current = _BUDGET.get()
    if current is None:
        raise LimitExceeded("template code runs only inside a render budget")
    current.produced -= len(value) if isinstance(value, str) else len(str(value))
    if current.produced < 0:
        raise LimitExceeded(f"rendering writes more than {MAX_PRODUCED_CHARS} characters")
    return value


class _Counted:
    """A loop's iterable whose every item is charged to the budget (keeps its length)."""

    __slots__ = ("_items",)

    def __init__(self, items: Any) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        for item in self._items:
            _tick()
            yield item


_SIZED = (str, bytes, bytearray, list, tuple, dict, set, frozenset, range)


def _size(value: Any) -> int:
    return len(value) if isinstance(value, _SIZED) else 0


def _listed(items: Any) -> Any:
    """An iterable a result is built from once per item (join): materialised, within limits."""
    if isinstance(items, _SIZED):
        return items
    listed: list[Any] = []
    for item in items:
        listed.append(item)
        if len(listed) > MAX_VALUE_CHARS:
            raise LimitExceeded(f"a sequence longer than {MAX_VALUE_CHARS}")
    return listed


def _check_value(value: Any) -> None:
    if _size(value) > MAX_VALUE_CHARS:
        raise LimitExceeded(f"a value longer than {MAX_VALUE_CHARS}")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise LimitExceeded(f"an integer bigger than {MAX_INT_BITS} bits")


def _check_count(value: Any) -> None:
    """A width, count or padding argument."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_VALUE_CHARS:
        raise LimitExceeded(f"a width or count above {MAX_VALUE_CHARS}")


_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_DIGITS = re.compile(r"\d+")


def _check_printf(fmt: str) -> None:
    for match in _PRINTF.finditer(fmt):
        for part in match.groups():
            if part == "*":
                raise LimitExceeded("'*' widths are not allowed in a format")
            if part is not None:
                _check_count(int(part))


def _check_str_format(fmt: str) -> None:
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises the same error itself
    for _, _, spec, _ in parsed:
        if not spec:
            continue
        if "{" in spec:
            raise LimitExceeded("nested fields are not allowed in a format spec")
        for digits in _DIGITS.findall(spec):
            _check_count(int(digits))


def _check_product(base: Any, args: tuple[Any, ...]) -> None:
    """A string argument repeated once per item or character of ``base`` (join, indent…)."""
    times = _size(base) + 1
    for arg in args:
        if isinstance(arg, str) and times * len(arg) > MAX_PRODUCED_CHARS:
            raise LimitExceeded(f"a result longer than {MAX_PRODUCED_CHARS}")


def _check_replace(value: Any, old: Any, new: Any, count: Any = -1) -> None:
    if not (isinstance(value, str) and isinstance(old, str) and isinstance(new, str)):
        return
    hits = value.count(old) if old else len(value) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    if len(value) + hits * (len(new) - len(old)) > MAX_VALUE_CHARS:
        raise LimitExceeded(f"a replacement longer than {MAX_VALUE_CHARS}")


def _check_arguments(args: tuple[Any, ...], kwargs: Mapping[str, Any], *, counts: bool) -> None:
    for value in (*args, *kwargs.values()):
        _check_value(value)
        if counts:
            _check_count(value)


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        value, rest = (args[skip], args[skip + 1 :]) if len(args) > skip else (None, ())
        if name == "join" and value is not None:
            value = _listed(value)
            args = (*args[:skip], value, *rest)
        _check_value(value)
        _check_arguments(rest, kwargs, counts=name != "format")
        if name == "format" and isinstance(value, str):
            _check_printf(value)
        elif name == "replace":
            _check_replace(value, *rest[:3])
        else:
            _check_product(value, (*rest, *kwargs.values()))
        _tick()
        return _charge(func(*args, **kwargs))

    return guarded


def _check_method(obj: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    """The checks of a call of a string's method; the arguments to call it with."""
    owner = getattr(obj, "__self__", None)
    if not isinstance(owner, str):
        return args
    name = getattr(obj, "__name__", "")
    if name == "replace":
        _check_replace(owner, *args[:3])
    elif name == "join" and args:
        items = _listed(args[0])
        if (_size(items) + 1) * len(owner) > MAX_PRODUCED_CHARS:
            raise LimitExceeded(f"a result longer than {MAX_PRODUCED_CHARS}")
        return (items, *args[1:])
    else:
        for value in (*args, *kwargs.values()):
            _check_count(value)
    return args


def _mul(left: Any, right: Any) -> Any:
    for seq, n in ((left, right), (right, left)):
        if isinstance(n, int) and _size(seq) * max(n, 0) > MAX_VALUE_CHARS:
            raise LimitExceeded(f"a repeated sequence longer than {MAX_VALUE_CHARS}")
    both_ints = isinstance(left, int) and isinstance(right, int)
    if both_ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise LimitExceeded(f"an integer bigger than {MAX_INT_BITS} bits")
    return operator.mul(left, right)


def _pow(left: Any, right: Any) -> Any:
    if isinstance(right, int) and abs(right) > 100:
        raise LimitExceeded("exponent too large")
    both_ints = isinstance(left, int) and isinstance(right, int)
    if both_ints and right > 0 and left.bit_length() * right > MAX_INT_BITS:
        raise LimitExceeded(f"an integer bigger than {MAX_INT_BITS} bits")
    return operator.pow(left, right)


def _add(left: Any, right: Any) -> Any:
    if _size(left) + _size(right) > MAX_VALUE_CHARS:
        raise LimitExceeded(f"a value longer than {MAX_VALUE_CHARS}")
    return operator.add(left, right)


def _mod(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        _check_printf(left)
        for value in right if isinstance(right, tuple) else (right,):
            _check_value(value)
    result = operator.mod(left, right)
    _check_value(result)
    return result


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {"*": _mul, "**": _pow, "+": _add, "%": _mod}


class _BoundedNamespace(Namespace):
    """``namespace()`` whose attributes obey the value limits (the one mutable thing)."""

    def __setitem__(self, name: str, value: Any) -> None:
        _check_value(value)
        _tick()
        super().__setitem__(name, value)


def _literal_length(node: nodes.Node) -> int | None:
    """How many times a loop over ``node`` runs, when the template says so literally."""
    if isinstance(node, nodes.List | nodes.Tuple):
        return len(node.items)
    if isinstance(node, nodes.Const) and isinstance(node.value, str | tuple | list):
        return len(node.value)
    if (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name == "range"
        and not node.kwargs
        and node.args
        and all(isinstance(a, nodes.Const) and isinstance(a.value, int) for a in node.args)
    ):
        bounds = [a.value for a in node.args if isinstance(a, nodes.Const)]
        try:
            return min(len(range(*bounds)), MAX_RANGE)
        except (TypeError, ValueError):
            return None
    return None


def _check_loops(node: nodes.Node, depth: int = 0, runs: int = 1) -> None:
    """Refuse loops nested too deep, or literal loops whose product passes the budget —
    even where a condition means the sample render never reaches them."""
    for child in node.iter_child_nodes():
        if isinstance(child, nodes.For):
            if depth + 1 > MAX_LOOP_DEPTH:
                raise LimitExceeded(f"loops nested more than {MAX_LOOP_DEPTH} deep")
            inner = runs * (_literal_length(child.iter) or 1)
            if inner > MAX_STEPS:
                raise LimitExceeded(f"nested loops run more than {MAX_STEPS} times")
            _check_loops(child, depth + 1, inner)
        else:
            _check_loops(child, depth, runs)


_COUNTED = "payrec_counted"
_OUTPUT = "payrec_output"


def _guard_tree(tree: nodes.Template) -> None:
    """Route every loop and every output through the budget (`_Counted`, `_count_output`),
    as filters: they are called directly, without the sandbox's per-call checks."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, _COUNTED, [], [], None, None).set_lineno(
            loop.lineno
        )
    for output in tree.find_all(nodes.Output):
        pieces: list[nodes.Expr] = []
        for piece in output.nodes:
            counted = nodes.Filter(piece, _OUTPUT, [], [], None, None)
            counted.set_lineno(piece.lineno)
            pieces.append(counted)
        output.nodes = pieces


class Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with the limits above on every render (inside :func:`budget`)."""

    intercepted_binops = frozenset(_BINOPS)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)
        self.globals["namespace"] = _BoundedNamespace
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}
        self.filters[_COUNTED] = _Counted
        self.filters[_OUTPUT] = _count_output

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        _check_loops(tree)
        _guard_tree(tree)
        return tree

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        _tick()
        return _charge(_BINOPS[operator_](left, right))

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _tick()
        _check_arguments(args, kwargs, counts=False)
        args = _check_method(obj, args, kwargs)
        if isinstance(obj, LoopContext) and args:  # a recursive loop's next level
            args = (_Counted(args[0]), *args[1:])
        return _charge(super().call(context, obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_str_format(value.__self__)
        return wrapped
