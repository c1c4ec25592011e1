"""The ASGI app: one module per API. Protocol endpoints are plain Starlette routes (fast);
the management API is FastAPI (for its OpenAPI document)."""
