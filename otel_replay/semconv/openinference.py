"""OpenInference (`llm.*`, `input.value`...) and traceAI, whose 0.1 keys are the same and
whose 1.x keys put the same flattened sub-keys under `gen_ai.input.messages.{i}`.
"""

from __future__ import annotations

from otel_replay.core.records import AnyValue, Attributes
from otel_replay.semconv.attributes import GenAI, OpenInference, TraceAI
from otel_replay.semconv.facts import LlmFacts, ToolFacts, TurnText
from otel_replay.semconv.genai import tool_definition
from otel_replay.semconv.messages import (
    langchain_tool_message,
    parse_input_messages,
    parse_message,
    parse_output_messages,
    payload_text,
    system_text,
)
from otel_replay.semconv.model import Message, Role, ToolDefinition, Usage
from otel_replay.semconv.parts import text_part
from otel_replay.semconv.values import (
    as_bool,
    as_str,
    dicts,
    first_id,
    first_int,
    first_str,
    json_list,
    json_object,
    normalise_provider,
    parse_json,
    text_of,
    unflatten,
)


def _flattened_message(element: AnyValue, default_role: Role) -> list[Message]:
    """One `{i}` element: `message.role`, `.content`, `.contents.{k}.message_content.*`,
    `.tool_calls.{j}.tool_call.*`, `.tool_call_id`, `.name`, legacy `.function_call_*`."""
    if not isinstance(element, dict):
        return []
    body = element.get("message")
    if not isinstance(body, dict):
        return []
    chat: dict[str, AnyValue] = {
        key: body[key] for key in ("role", "tool_calls", "tool_call_id", "name") if key in body
    }
    contents = body.get("contents")
    if isinstance(contents, list):
        chat["content"] = [_content_part(c) for c in dicts(contents)]
    elif "content" in body:
        chat["content"] = body["content"]
    function_name = body.get("function_call_name")
    if function_name is not None:
        chat["function_call"] = {
            "name": function_name,
            "arguments": body.get("function_call_arguments_json"),
        }
    return parse_message(chat, default_role)


def _content_part(content: dict[str, AnyValue]) -> AnyValue:
    inner = content.get("message_content")
    item = inner if isinstance(inner, dict) else content
    kind = as_str(item.get("type"))
    if kind == "tool_use":
        # The ordered variant: the call sits beside message_content, under `tool_call`.
        call = content.get("tool_call") or item.get("tool_call")
        if isinstance(call, dict):
            return {"type": "tool_call", **call}
    if kind == "image":
        return {"type": "image", "image": item.get("image")}
    return item


def flattened_messages(
    attributes: Attributes, prefix: str, default_role: Role
) -> tuple[Message, ...] | None:
    """Messages from `prefix.{i}.message.*` keys; None when there are none."""
    elements = unflatten(attributes, prefix)
    if elements is None:
        return None
    messages: list[Message] = []
    for element in elements:
        messages.extend(_flattened_message(element, default_role))
    return tuple(messages)


def _legacy_completions(attributes: Attributes) -> tuple[tuple[Message, ...] | None, ...]:
    # Completions API: llm.prompts.{i}.prompt.text (or a plain list of prompts),
    # llm.choices.{i}.completion.text.
    prompts = unflatten(attributes, OpenInference.PROMPTS)
    raw = attributes.get(OpenInference.PROMPTS)
    texts: list[str] = []
    if prompts is not None:
        for p in dicts(prompts):
            prompt = p.get("prompt")
            text = as_str(prompt.get("text")) if isinstance(prompt, dict) else None
            if text:
                texts.append(text)
    else:
        texts = [t for t in (as_str(p) for p in json_list(raw) or []) if t]
    choices = unflatten(attributes, OpenInference.CHOICES)
    outputs: list[str] = []
    for c in dicts(choices or []):
        completion = c.get("completion")
        text = as_str(completion.get("text")) if isinstance(completion, dict) else None
        if text:
            outputs.append(text)
    inputs = tuple(Message(Role.USER, (text_part(t),)) for t in texts) or None
    answers = tuple(Message(Role.ASSISTANT, (text_part(t),)) for t in outputs) or None
    return inputs, answers


def _tool_definitions(attributes: Attributes) -> tuple[ToolDefinition, ...] | None:
    tools = unflatten(attributes, OpenInference.TOOLS)
    if tools is None:
        return None
    definitions: list[ToolDefinition] = []
    for tool in dicts(tools):
        inner = tool.get("tool")
        schema = inner.get("json_schema") if isinstance(inner, dict) else None
        definition = tool_definition(schema)
        if definition is not None:
            definitions.append(definition)
    return tuple(definitions)


def _usage(attributes: Attributes) -> Usage | None:
    usage = Usage(
        input_tokens=first_int(attributes, OpenInference.TOKEN_PROMPT),
        output_tokens=first_int(attributes, OpenInference.TOKEN_COMPLETION),
        total_tokens=first_int(attributes, OpenInference.TOKEN_TOTAL),
        cache_read_input_tokens=first_int(
            attributes, OpenInference.TOKEN_CACHE_READ, TraceAI.USAGE_CACHE_READ
        ),
        cache_creation_input_tokens=first_int(
            attributes, OpenInference.TOKEN_CACHE_WRITE, TraceAI.USAGE_CACHE_WRITE
        ),
        reasoning_output_tokens=first_int(
            attributes, OpenInference.TOKEN_REASONING, TraceAI.USAGE_REASONING
        ),
    )
    return None if usage == Usage() else usage


def _parameters(attributes: Attributes) -> dict[str, AnyValue] | None:
    raw = attributes.get(OpenInference.INVOCATION_PARAMETERS)
    if raw is None:
        raw = attributes.get(TraceAI.REQUEST_PARAMETERS)
    parsed = json_object(raw)
    if parsed is None:
        return None
    return {k: v for k, v in parsed.items() if k not in ("model", "messages", "tools", "input")}


def _invocation_model(attributes: Attributes) -> str | None:
    for key in (OpenInference.INVOCATION_PARAMETERS, TraceAI.REQUEST_PARAMETERS):
        parsed = json_object(attributes.get(key))
        if parsed is not None and as_str(parsed.get("model")):
            return as_str(parsed.get("model"))
    return None


def requested_model_facts(attributes: Attributes) -> LlmFacts:
    """The model the request asked for, from `llm.invocation_parameters` (the request's own
    parameters). It wins over `gen_ai.request.model`, which OpenInference's GenAI mode fills
    from `llm.model_name`, the response model."""
    return LlmFacts(request_model=_invocation_model(attributes))


def llm_facts(attributes: Attributes) -> LlmFacts:
    """`llm.*` keys (OpenInference, traceAI 0.1) and traceAI 1.x flattened gen_ai messages."""
    inputs = flattened_messages(attributes, OpenInference.INPUT_MESSAGES, Role.USER)
    outputs = flattened_messages(attributes, OpenInference.OUTPUT_MESSAGES, Role.ASSISTANT)
    if GenAI.INPUT_MESSAGES not in attributes and inputs is None:
        inputs = flattened_messages(attributes, GenAI.INPUT_MESSAGES, Role.USER)
    if GenAI.OUTPUT_MESSAGES not in attributes and outputs is None:
        outputs = flattened_messages(attributes, GenAI.OUTPUT_MESSAGES, Role.ASSISTANT)
    if inputs is None and outputs is None:
        inputs, outputs = _legacy_completions(attributes)
    requested = _invocation_model(attributes)
    model_name = first_str(attributes, OpenInference.MODEL_NAME)
    # llm.model_name is the response model when the invocation parameters carry the
    # request's `model` (the OpenAI and LangChain instrumentors read it off the response);
    # without one (Agents SDK, LlamaIndex) it is the configured model, i.e. the request model,
    # and no response model is recorded (docs/semconv.md section 10.8).
    return LlmFacts(
        provider=normalise_provider(
            first_str(attributes, OpenInference.SYSTEM, OpenInference.PROVIDER)
        ),
        request_model=first_str(attributes, OpenInference.REQUEST_MODEL_NAME)
        or requested
        or model_name,
        response_model=first_str(attributes, OpenInference.RESPONSE_MODEL_NAME)
        or (model_name if requested else None),
        finish_raw=first_str(attributes, OpenInference.FINISH_REASON),
        parameters=_parameters(attributes),
        system_instructions=system_text(inputs) if inputs else None,
        input_messages=inputs,
        output_messages=outputs,
        usage=_usage(attributes),
        tool_definitions=_tool_definitions(attributes),
    )


def raw_io_facts(attributes: Attributes) -> LlmFacts:
    """`input.value` / `output.value` (and traceAI `raw.*`): raw request/response bodies."""
    input_value = attributes.get(OpenInference.INPUT_VALUE)
    if input_value is None:
        input_value = attributes.get(TraceAI.RAW_INPUT)
    output_value = attributes.get(OpenInference.OUTPUT_VALUE)
    if output_value is None:
        output_value = attributes.get(TraceAI.RAW_OUTPUT)
    return LlmFacts(
        input_messages=parse_input_messages(input_value) if input_value is not None else None,
        output_messages=parse_output_messages(output_value) if output_value is not None else None,
    )


def _looks_like_schema(value: AnyValue) -> bool:
    return isinstance(value, dict) and ("properties" in value or value.get("type") == "object")


def _llama_index_tool_output(value: AnyValue) -> tuple[AnyValue, bool] | None:
    """(result, is_error) of a serialised LlamaIndex `ToolOutput`, or None for any other
    output: the tool's own return value (`raw_output`, JSON text parsed), else the text the
    model was given (`blocks`, or `content` before blocks)."""
    if not isinstance(value, dict) or not {"tool_name", "raw_output"} <= set(value):
        return None
    if "blocks" not in value and "content" not in value:
        return None
    failed = as_bool(value.get("is_error")) is True
    raw = value.get("raw_output")
    if raw is not None:
        return parse_json(raw), failed
    blocks = value.get("blocks")
    texts = [as_str(b.get("text")) for b in dicts(blocks)] if isinstance(blocks, list) else []
    text = "".join(t for t in texts if t) or as_str(value.get("content"))
    return parse_json(text), failed


def tool_facts(attributes: Attributes) -> ToolFacts:
    """A TOOL span: `tool.*` (or traceAI 1.x `gen_ai.tool.*`), `input.value`, `output.value`."""
    arguments = parse_json(attributes.get(OpenInference.INPUT_VALUE))
    if arguments is None:
        # Several instrumentors put the actual arguments in tool.parameters (section 8.9).
        for key in (OpenInference.TOOL_PARAMETERS, TraceAI.TOOL_PARAMETERS):
            candidate = parse_json(attributes.get(key))
            if candidate is not None and not _looks_like_schema(candidate):
                arguments = candidate
                break
    output = attributes.get(OpenInference.OUTPUT_VALUE)
    result = parse_json(output)
    result_call_id: str | None = None
    error: str | None = None
    # LangChain: the output is the ToolMessage the tool node returned; its content is the
    # result (the input is the bare first argument, so the model's request gives the arguments).
    message = langchain_tool_message(output)
    if message is not None:
        result, result_call_id = message.result, message.call_id
        if message.is_error:
            error = text_of(message.result) or "tool reported an error"
    elif (tool_output := _llama_index_tool_output(result)) is not None:
        result, failed = tool_output
        if failed:
            error = text_of(result) or "tool reported an error"
    return ToolFacts(
        name=first_str(attributes, OpenInference.TOOL_NAME, GenAI.TOOL_NAME),
        call_id=first_id(attributes, OpenInference.TOOL_ID, OpenInference.TOOL_CALL_ID),
        arguments=arguments,
        result=result,
        error=error,
        description=first_str(attributes, OpenInference.TOOL_DESCRIPTION),
        result_call_id=result_call_id,
    )


def turn_text(attributes: Attributes) -> TurnText:
    """`input.value` / `output.value` of an AGENT or CHAIN span."""
    return TurnText(
        payload_text(attributes.get(OpenInference.INPUT_VALUE), Role.USER),
        payload_text(attributes.get(OpenInference.OUTPUT_VALUE), Role.ASSISTANT),
    )
