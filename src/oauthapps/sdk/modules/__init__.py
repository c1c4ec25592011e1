"""The API modules a client can carry: ``oauth_apps``, ``data`` and ``members``."""

from .base import Module, ModuleSpec
from .data import DataItem, DataModule, data
from .members import Member, MemberList, MembersModule, members
from .oauth_apps import OAuthApp, OAuthAppsModule, oauth_apps
from .query import QueryBuilder, QueryResult

ALL_MODULES = (oauth_apps, data, members)

__all__ = [
    "ALL_MODULES",
    "DataItem",
    "DataModule",
    "Member",
    "MemberList",
    "MembersModule",
    "Module",
    "ModuleSpec",
    "OAuthApp",
    "OAuthAppsModule",
    "QueryBuilder",
    "QueryResult",
    "data",
    "members",
    "oauth_apps",
]
