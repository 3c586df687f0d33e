"""Request input validated against pydantic models; errors say where the problem is."""

import json
from typing import Any

from flask import request
from pydantic import BaseModel, TypeAdapter, ValidationError
from werkzeug.exceptions import UnsupportedMediaType


class RequestValidationError(Exception):
    """Input that does not fit its model: answered with 422 and the list of errors."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} validation error(s)")
        self.errors = errors


def _located(error: ValidationError, *where: str) -> RequestValidationError:
    return RequestValidationError(
        [
            {"loc": [*where, *detail["loc"]], "msg": detail["msg"], "type": detail["type"]}
            for detail in error.errors(include_url=False, include_input=False)
        ]
    )


def _body() -> bytes:
    stream = request.stream
    data = stream.read()
    # A body without a declared length is cut off at MAX_CONTENT_LENGTH; the
    # stream says so (413) only when it is read past that point.
    stream.read(1)
    return data


def _json(data: bytes) -> object:
    # The standard parser, not pydantic's: it reads a lone surrogate escape
    # ("\ud800") into the string, so the model refuses it at the field it is in.
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as error:
        invalid = {"loc": ["body"], "msg": f"Invalid JSON: {error}", "type": "json_invalid"}
        raise RequestValidationError([invalid]) from None


def json_body[Model: BaseModel](model: type[Model]) -> Model:
    if not request.is_json:
        raise UnsupportedMediaType
    data = _json(_body())
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _located(error, "body") from None


def form_body[Model: BaseModel](model: type[Model]) -> Model:
    try:
        return model.model_validate(request.form.to_dict())
    except ValidationError as error:
        raise _located(error, "body") from None


def query_parameters[Model: BaseModel](model: type[Model]) -> Model:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise _located(error, "query") from None


def path_parameter[Value](name: str, adapter: TypeAdapter[Value], raw: object) -> Value:
    try:
        return adapter.validate_python(raw)
    except ValidationError as error:
        raise _located(error, "path", name) from None
