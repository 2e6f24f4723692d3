"""OpenAPI: the document at /schema/openapi.json, Scalar at /schema, Swagger UI at
/schema/swagger (and /docs redirects there). Every operation documents its errors with
the one error shape, and request bodies that refuse unknown fields say so."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag

from web.errors import ErrorResponse

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Schema
    from litestar.typing import FieldDefinition

CLIENT_SECURITY: list[dict[str, list[str]]] = [{"ClientToken": []}]
ADMIN_SECURITY: list[dict[str, list[str]]] = [{"AdminToken": []}]

_DESCRIPTIONS = {
    400: "Malformed request; `details` names the field",
    401: "Missing, unknown or revoked token",
    403: "Authenticated, but this token may not use this route",
    404: "No such resource (another client's resources answer the same)",
    409: "The resource's state refuses the request",
    410: "The resource is archived: it answers no more requests of this kind",
    413: "Request body too large",
    415: "Request body is not JSON",
    422: "Well-formed but unacceptable; `details` names the field",
    429: "Rate limit exceeded; see Retry-After",
    500: "Internal error; quote the request id",
    503: "A dependency is unavailable",
}
_ALWAYS = (400, 401, 403, 429, 500)


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    return {
        code: ResponseSpec(
            data_container=ErrorResponse, description=_DESCRIPTIONS[code], generate_examples=False
        )
        for code in sorted({*_ALWAYS, *codes})
    }


class ClosedStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's schema of a msgspec Struct, plus `additionalProperties: false` for the
    Structs that refuse unknown fields (`forbid_unknown_fields=True`): the document states
    what the decoder enforces. Registered as an app plugin, it is asked before the
    built-in one."""

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if isinstance(info, msgspec.inspect.StructType) and info.forbid_unknown_fields:
            schema.additional_properties = False
        return schema


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="tradebridge API",
        version="1",
        description=(
            "The HTTP API behind the tradebridge dashboard. It records intents (orders, "
            "cancels, bot starts and stops, kill switches) with their jobs in one "
            "transaction; a separate worker talks to the exchanges."
        ),
        path="/schema",
        render_plugins=[ScalarRenderPlugin(path="/"), SwaggerRenderPlugin(path="/swagger")],
        components=Components(
            security_schemes={
                "ClientToken": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="A client's API token (tb_…)",
                ),
                "AdminToken": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="The operator's admin token (TRADEBRIDGE_ADMIN_TOKEN)",
                ),
            }
        ),
        tags=[
            Tag(name="admin", description="Clients, tokens and the global kill switch"),
            Tag(name="tokens", description="Your API tokens"),
            Tag(name="credentials", description="Exchange credentials (sealed at rest)"),
            Tag(name="bots", description="Spread, volume and signal bots"),
            Tag(name="strategies", description="Signal sources with a webhook secret"),
            Tag(name="signals", description="The signal webhook and what each signal did"),
            Tag(name="positions", description="Signal bots' positions, from their fills"),
            Tag(name="orders", description="Order intents and their lifecycle"),
            Tag(name="fills", description="Trades"),
            Tag(name="kill-switch", description="Stop trading at client or bot scope"),
            Tag(name="health", description="Liveness"),
        ],
    )
