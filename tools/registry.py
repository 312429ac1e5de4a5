"""One registry of every query and calculation: JSON schemas from signatures + docstrings, validated calls."""

from __future__ import annotations

import difflib
import inspect
import json
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from tools.calc import CALC_FUNCTIONS
from tools.compose import city_query, province_query
from tools.errors import ToolError
from tools.industries import INDUSTRY_QUERIES
from tools.queries import CITY_QUERIES
from tools.result import ToolResult

__all__ = [
    "ToolResult",
    "ToolSpec",
    "all_tools",
    "call_tool",
    "get_tool",
    "llama_index_tools",
    "openai_tools",
]

_ARG_LINE = re.compile(r"^(\w+)\s*(?:\([^)]*\))?:\s*(.*)$")


@dataclass(frozen=True)
class ToolSpec:
    """A registered tool: its name, the description and JSON schema a model sees, the function and its args
    model."""

    name: str
    description: str
    parameters: dict[str, Any]
    fn: Callable[..., ToolResult]
    args_model: type[BaseModel]


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Google-style docstring -> (description, {arg: description})."""
    doc = inspect.cleandoc(doc or "")
    head, _, rest = doc.partition("\nArgs:")
    args: dict[str, str] = {}
    current: str | None = None
    for raw in rest.splitlines():
        if not raw.strip():
            continue
        if raw.strip().endswith(":") and not raw.startswith(" "):  # next section (Returns:, Raises:)
            break
        m = _ARG_LINE.match(raw.strip())
        indent = len(raw) - len(raw.lstrip())
        if m and (current is None or indent <= 4):
            current = m.group(1)
            args[current] = m.group(2).strip()
        elif current:
            args[current] += " " + raw.strip()
    return " ".join(head.split()), args


def _spec(fn: Callable[..., ToolResult]) -> ToolSpec:
    description, arg_docs = parse_docstring(fn.__doc__)
    hints = typing.get_type_hints(fn)
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[name] = (hints[name], Field(default, description=arg_docs.get(name, "")))
    model = create_model(f"{fn.__name__}_args", __config__=ConfigDict(extra="forbid"), **fields)
    schema = model.model_json_schema()
    _drop_titles(schema)
    parameters = {
        "type": "object",
        "properties": schema.get("properties", {}),
        "required": schema.get("required", []),
        "additionalProperties": False,
    }
    return ToolSpec(name=fn.__name__, description=description, parameters=parameters, fn=fn, args_model=model)


def _drop_titles(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("title", None)
        for value in node.values():
            _drop_titles(value)
    elif isinstance(node, list):
        for value in node:
            _drop_titles(value)


@lru_cache(maxsize=1)
def _registry() -> dict[str, ToolSpec]:
    specs: dict[str, ToolSpec] = {}
    composed: list[Callable[..., ToolResult]] = [city_query, province_query]
    for fn in [*CITY_QUERIES, *INDUSTRY_QUERIES, *composed, *CALC_FUNCTIONS]:
        spec = _spec(fn)
        if spec.name in specs:  # pragma: no cover - a programming error
            raise RuntimeError(f"tool {spec.name} registered twice")
        specs[spec.name] = spec
    return specs


def all_tools() -> list[ToolSpec]:
    """Every registered tool, queries first, then calculations."""
    return list(_registry().values())


def get_tool(name: str) -> ToolSpec:
    """The tool called `name`; ToolError naming the closest tool names otherwise."""
    specs = _registry()
    if name in specs:
        return specs[name]
    close = difflib.get_close_matches(str(name), list(specs), n=3, cutoff=0.4)
    hint = f"你是不是想用：{'、'.join(close)}？" if close else f"可用的工具：{'、'.join(specs)}。"
    raise ToolError(f"没有名为“{name}”的工具。{hint}")


def openai_tools() -> list[dict[str, Any]]:
    """The tools in OpenAI function-calling format."""
    return [
        {
            "type": "function",
            "function": {"name": s.name, "description": s.description, "parameters": s.parameters},
        }
        for s in all_tools()
    ]


def llama_index_tools() -> list:
    """The tools as llama_index FunctionTool objects (each validates through call_tool)."""
    from llama_index.core.tools import FunctionTool

    tools = []
    for spec in all_tools():

        def run(_name: str = spec.name, **kwargs: Any) -> ToolResult:
            return call_tool(_name, kwargs)

        tools.append(
            FunctionTool.from_defaults(
                fn=run, name=spec.name, description=spec.description, fn_schema=spec.args_model
            )
        )
    return tools


_ERROR_TEXT = {
    "missing": "缺少必填参数",
    "extra_forbidden": "不认识的参数",
    "literal_error": "取值无效",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "dict_type": "应为对象（键值对）",
    "bool_type": "应为 true 或 false",
    "greater_than_equal": "取值太小",
    "less_than_equal": "取值太大",
}


def _explain(exc: ValidationError, spec: ToolSpec) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ())) or "参数"
        kind = err.get("type", "")
        text = _ERROR_TEXT.get(kind, "无效")
        if kind == "literal_error":
            prop = spec.parameters["properties"].get(str(err.get("loc", ("",))[0]), {})
            options: list[Any] = prop.get("enum") or next(
                (a["enum"] for a in prop.get("anyOf", []) if "enum" in a), []
            )
            text += f"，可选：{'、'.join(map(str, options))}"
        if kind != "missing" and "input" in err:
            text += f"（收到 {json.dumps(err['input'], ensure_ascii=False, default=str)[:60]}）"
        parts.append(f"{loc}：{text}")
    return f"工具 {spec.name} 的参数有误——" + "；".join(parts) + "。"


def call_tool(name: str, arguments: dict[str, Any] | str | None = None) -> ToolResult:
    """Validate `arguments` (a dict, or a JSON object string from a model) and run the tool `name`.

    Unknown tools, malformed JSON and invalid arguments raise ToolError with a Chinese message.
    """
    spec = get_tool(name)
    if arguments is None or arguments == "":
        arguments = {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            raise ToolError(
                f"工具 {name} 的参数不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）。"
            ) from exc
    if not isinstance(arguments, dict):
        raise ToolError(
            f"工具 {name} 的参数应为 JSON 对象（{{\"参数名\": 值}}），收到 {type(arguments).__name__}。"
        )
    try:
        validated = spec.args_model.model_validate(arguments)
    except ValidationError as exc:
        raise ToolError(_explain(exc, spec)) from exc
    kwargs = {k: getattr(validated, k) for k in type(validated).model_fields}
    return spec.fn(**kwargs)
