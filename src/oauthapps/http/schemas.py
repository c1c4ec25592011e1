"""Pydantic models that describe the management API in /openapi.json.

Requests are validated by domain/oauth_app.py (so field paths and rules match the Wix wire
format); these models only document the shapes, and a test checks they agree with real responses.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ApplicationType = Literal["OAUTH_APP_TYPE_UNSPECIFIED", "WEB_APP", "MOBILE", "OTHER"]
Technology = Literal[
    "OAUTH_TECHNOLOGY_UNSPECIFIED",
    "JAVASCRIPT",
    "ANGULAR",
    "VUE",
    "REACT",
    "REACT_NATIVE",
    "IOS",
    "ANDROID",
    "OTHER_TECHNOLOGY",
]


class DomainMapping(BaseModel):
    origin: str = Field(max_length=2048)
    destination: str = Field(max_length=2048)


class OAuthAppInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=2, max_length=256, description="Required on create.")
    description: str | None = Field(None, max_length=2048)
    loginUrl: str | None = Field(None, description="Absolute https URL (http only for loopback).")
    logoutUrl: str | None = None
    allowedRedirectUris: list[str] | None = Field(None, max_length=20, description="Login redirects, matched exactly.")
    allowedRedirectDomains: list[str] | None = Field(None, max_length=20, description="Host names with optional :port.")
    allowedDomains: list[str] | None = Field(None, max_length=20, description="Alias of allowedRedirectDomains.")
    allowSecretGeneration: bool | None = Field(
        None, description="On create: true defers the secret to generate-secret instead of returning one now."
    )
    applicationType: ApplicationType | None = None
    technology: Technology | None = None
    redirectUrlWixPages: str | None = Field(None, max_length=1024)
    wixPagesDomainsMappings: list[DomainMapping] | None = Field(None, max_length=200)
    refreshTokenRotation: bool | None = Field(None, description="Rotate refresh tokens with reuse detection.")
    requireExactRedirectUri: bool | None = Field(
        None, description="Login redirects must equal an allowedRedirectUris entry; domains never approve them."
    )


class OAuthApp(BaseModel):
    id: str = Field(description="GUID; this is the client ID.")
    createdDate: str
    updatedDate: str
    name: str
    description: str
    loginUrl: str | None = None
    logoutUrl: str | None = None
    allowedRedirectUris: list[str]
    allowedRedirectDomains: list[str]
    allowedDomains: list[str]
    allowSecretGeneration: bool
    applicationType: ApplicationType
    technology: Technology
    redirectUrlWixPages: str | None = None
    wixPagesDomainsMappings: list[DomainMapping]
    refreshTokenRotation: bool
    requireExactRedirectUri: bool


class OAuthAppWithSecret(OAuthApp):
    secret: str | None = Field(None, description="Returned by create only, once; stored only as a hash.")


class CreateRequest(BaseModel):
    oAuthApp: OAuthAppInput


class CreateResponse(BaseModel):
    oAuthApp: OAuthAppWithSecret


class OAuthAppResponse(BaseModel):
    oAuthApp: OAuthApp


class FieldMask(BaseModel):
    paths: list[str]


class UpdateRequest(BaseModel):
    oAuthApp: OAuthAppInput
    mask: FieldMask | str | list[str] | None = Field(
        None, description="{paths: [...]}, a comma-joined string, or an array; absent: the fields present."
    )


class SortSpec(BaseModel):
    fieldName: Literal["id", "name", "createdDate", "created_date"]
    order: Literal["ASC", "DESC"] = "ASC"


class Paging(BaseModel):
    limit: int = Field(50, ge=0, le=100)
    offset: int = Field(0, ge=0)


class QuerySpec(BaseModel):
    filter: dict[str, object] | None = Field(
        None,
        description="id: $eq/$ne/$in; name: $eq/$ne/$in/$startsWith; createdDate: $eq/$gt/$gte/$lt/$lte; "
        "combined with $and/$or; a bare value means $eq.",
    )
    sort: list[SortSpec] | None = None
    paging: Paging | None = None


class QueryRequest(BaseModel):
    query: QuerySpec | None = None


class PagingMetadata(BaseModel):
    count: int
    offset: int
    total: int
    tooManyToCount: bool


class QueryResponse(BaseModel):
    oAuthApps: list[OAuthApp]
    pagingMetadata: PagingMetadata


class SecretResponse(BaseModel):
    oAuthAppSecret: str


class RotateSecretRequest(BaseModel):
    gracePeriodSeconds: int = Field(0, ge=0, le=604800)


class Empty(BaseModel):
    pass


class ApplicationError(BaseModel):
    code: str
    description: str
    data: dict[str, object]


class FieldViolationModel(BaseModel):
    field: str
    description: str
    violatedRule: str
    data: dict[str, object] | None = None


class ValidationErrorModel(BaseModel):
    fieldViolations: list[FieldViolationModel]


class ErrorDetails(BaseModel):
    applicationError: ApplicationError | None = None
    validationError: ValidationErrorModel | None = None


class Error(BaseModel):
    message: str
    details: ErrorDetails
