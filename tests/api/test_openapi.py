"""The OpenAPI document and /docs, and real responses checked against the documented models."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from oauthapps.domain.oauth_app import APPLICATION_TYPES, TECHNOLOGIES, WRITABLE_FIELDS
from oauthapps.domain.scopes import OAUTH_APP_READ
from oauthapps.http import schemas

from ..support.oauth_apps import BASE
from ..support.servers import Server
from ..support.tenants import Tenant, install_app

OPERATIONS = {
    ("post", BASE): ("CreateRequest", "CreateResponse"),
    ("post", f"{BASE}/query"): ("QueryRequest", "QueryResponse"),
    ("get", f"{BASE}/{{}}"): (None, "OAuthAppResponse"),
    ("patch", f"{BASE}/{{}}"): ("UpdateRequest", "OAuthAppResponse"),
    ("delete", f"{BASE}/{{}}"): (None, "Empty"),
    ("post", f"{BASE}/{{}}/generate-secret"): (None, "SecretResponse"),
    ("get", f"{BASE}/{{}}/secret"): (None, "SecretResponse"),
    ("post", f"{BASE}/{{}}/rotate-secret"): ("RotateSecretRequest", "SecretResponse"),
}


@pytest.fixture(scope="module")
def doc(server: Server) -> dict[str, Any]:
    response = httpx.get(f"{server.base_url}/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


def template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                out[(method, template(path))] = op
    return out


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"dangling $ref {ref}"
        node = node[part]
    return node


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def deref(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = {**resolve(doc, schema["$ref"]), **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


# --- the document -------------------------------------------------------------------------------


def test_document_lists_every_oauth_app_operation(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"]
    ops = operations(doc)
    missing = set(OPERATIONS) - set(ops)
    assert not missing, missing
    ids = [ops[key].get("operationId") for key in OPERATIONS]
    assert all(ids) and len(set(ids)) == len(ids), ids
    for key in OPERATIONS:
        assert ops[key].get("summary"), key


def test_every_ref_in_the_document_resolves(doc: dict[str, Any]) -> None:
    for ref in set(refs(doc)):
        resolve(doc, ref)


def test_each_operation_documents_its_success_and_error_bodies(doc: dict[str, Any]) -> None:
    ops = operations(doc)
    for key, (request_model, response_model) in OPERATIONS.items():
        op = ops[key]
        ok = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok.get("$ref", "").endswith(f"/{response_model}"), (key, ok)
        for status in ("400", "401", "403", "404"):
            error = op["responses"][status]["content"]["application/json"]["schema"]
            assert error.get("$ref", "").endswith("/Error"), (key, status)
        if request_model is not None:
            body = op["requestBody"]["content"]["application/json"]["schema"]
            assert body, key
        if "{}" in key[1]:
            params = [p for p in op.get("parameters", []) if p["in"] == "path"]
            assert len(params) == 1 and params[0]["required"] is True, key


def test_documented_create_body_matches_the_writable_fields(doc: dict[str, Any]) -> None:
    body = operations(doc)[("post", BASE)]["requestBody"]["content"]["application/json"]["schema"]
    body = deref(doc, body)
    oauth_app = deref(doc, body["properties"]["oAuthApp"])
    assert set(oauth_app["properties"]) == set(WRITABLE_FIELDS) | {"allowSecretGeneration"}
    entity = deref(doc, resolve(doc, "#/components/schemas/OAuthApp"))
    assert set(WRITABLE_FIELDS) <= set(entity["properties"])
    assert set(entity["required"]) >= {
        "id",
        "createdDate",
        "name",
        "allowedRedirectUris",
        "allowedRedirectDomains",
        "allowedDomains",
        "applicationType",
        "technology",
        "wixPagesDomainsMappings",
    }
    assert set(schemas.ApplicationType.__args__) == set(APPLICATION_TYPES)  # type: ignore[attr-defined]
    assert set(schemas.Technology.__args__) == set(TECHNOLOGIES)  # type: ignore[attr-defined]


def test_short_prefix_is_served_but_not_documented_twice(doc: dict[str, Any], http: httpx.Client) -> None:
    assert not any(path.startswith("/v1/oauth-apps") for path in doc["paths"])


def test_docs_page_answers(http: httpx.Client) -> None:
    response = http.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger" in response.text.lower()
    assert "/openapi.json" in response.text


# --- real responses against the models ------------------------------------------------------------


def conforms(model: type[BaseModel], data: Any) -> None:
    """Valid for the model, and nothing in the response that the model does not describe. A
    response given whole must also be a success: HTTP 200 exactly, with a JSON body."""
    if isinstance(data, httpx.Response):
        assert data.status_code == 200, data.text
        assert data.headers["content-type"].startswith("application/json")
        data = data.json()
    parsed = model.model_validate(data)
    assert parsed.model_dump(mode="json", exclude_unset=True) == data, (model.__name__, data)


@pytest.fixture
def reader(server: Server, http: httpx.Client, tenant: Tenant) -> dict[str, str]:
    return install_app(http, server.database_url, tenant.project_id, (OAUTH_APP_READ,), "Reader")


def test_success_responses_match_the_models(http: httpx.Client, tenant: Tenant) -> None:
    h = tenant.app_headers
    full = {
        "name": "Documented",
        "description": "d",
        "loginUrl": "https://a.example.com/in",
        "logoutUrl": "https://a.example.com/out",
        "allowedRedirectUris": ["https://a.example.com/cb"],
        "allowedDomains": ["a.example.com"],
        "applicationType": "MOBILE",
        "technology": "IOS",
        "redirectUrlWixPages": "https://a.example.com/p",
        "wixPagesDomainsMappings": [{"origin": "o.example.com", "destination": "d.example.com"}],
    }
    conforms(schemas.CreateRequest, {"oAuthApp": full})
    created = http.post(BASE, headers=h, json={"oAuthApp": full})
    conforms(schemas.CreateResponse, created)
    app_id = created.json()["oAuthApp"]["id"]
    deferred = http.post(BASE, headers=h, json={"oAuthApp": {"name": "Deferred", "allowSecretGeneration": True}})
    conforms(schemas.CreateResponse, deferred)
    conforms(schemas.OAuthAppResponse, http.get(f"{BASE}/{app_id}", headers=h))
    update = {"oAuthApp": {"description": "e"}, "mask": {"paths": ["description"]}}
    conforms(schemas.UpdateRequest, update)
    conforms(schemas.OAuthAppResponse, http.patch(f"{BASE}/{app_id}", headers=h, json=update))
    q = {
        "query": {
            "filter": {"name": {"$startsWith": "Doc"}},
            "sort": [{"fieldName": "createdDate", "order": "DESC"}],
            "paging": {"limit": 10, "offset": 0},
        }
    }
    conforms(schemas.QueryRequest, q)
    listed = http.post(f"{BASE}/query", headers=h, json=q)
    assert listed.json()["pagingMetadata"]["total"] == 1
    conforms(schemas.QueryResponse, listed)
    conforms(schemas.QueryResponse, http.post(f"{BASE}/query", headers=h, json={}))
    deferred_id = deferred.json()["oAuthApp"]["id"]
    conforms(schemas.SecretResponse, http.post(f"{BASE}/{deferred_id}/generate-secret", headers=h, json={}))
    conforms(schemas.RotateSecretRequest, {"gracePeriodSeconds": 5})
    conforms(schemas.SecretResponse, http.post(f"{BASE}/{app_id}/rotate-secret", headers=h, json={"gracePeriodSeconds": 5}))
    deleted = http.delete(f"{BASE}/{app_id}", headers=h)
    conforms(schemas.Empty, deleted)


def test_error_responses_match_the_error_model(http: httpx.Client, tenant: Tenant, reader: dict[str, str]) -> None:
    h = tenant.app_headers
    app = http.post(BASE, headers=h, json={"oAuthApp": {"name": "Errors"}}).json()["oAuthApp"]
    errors = {
        400: [
            http.post(BASE, headers=h, json={"oAuthApp": {"name": "x", "loginUrl": "ftp://x"}}),
            http.post(BASE, headers={**h, "content-type": "application/json"}, content=b"{"),
            http.get(f"{BASE}/{app['id']}/secret", headers=h),
            http.post(f"{BASE}/query", headers=h, json={"query": {"filter": {"nope": 1}}}),
        ],
        401: [http.get(f"{BASE}/{app['id']}"), http.get(f"{BASE}/{app['id']}", headers={"Authorization": "Bearer x.y.z"})],
        403: [http.delete(f"{BASE}/{app['id']}", headers=reader)],
        404: [http.get(f"{BASE}/{uuid.uuid4()}", headers=h)],
        409: [http.post(f"{BASE}/{app['id']}/generate-secret", headers=h, json={})],
        413: [http.post(BASE, headers=h, json={"oAuthApp": {"name": "n" * (1024 * 1024 + 1)}})],
    }
    for status, responses in errors.items():
        for response in responses:
            assert response.status_code == status, response.text
            conforms(schemas.Error, response.json())
            details = response.json()["details"]
            assert len(details) == 1 and set(details) <= {"applicationError", "validationError"}
