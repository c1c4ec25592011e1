"""The members pages: the list (by email or name, a prefix search, paging; one index range read
per page), and a member's page where an owner approves, blocks, unblocks or deletes her. Every
change goes through services/members.py, as the Members API's do, so a blocked or deleted
member's sessions, grants and tokens stop working at once on every server process."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..domain.errors import NotFound
from ..domain.members import MemberStatus
from ..services import members as member_service
from ..store.member_page import MemberOrder
from ..store.members import MemberProfile
from ..store.oauth_app_page import COUNT_CAP
from . import pages
from .forms import Form, check_controls, page_number
from .guard import Visit, console_page

PAGE_SIZE = 25
# Paging goes as deep as the count does (10,000 members); past that, a search narrows the list.
# An offset costs a step per skipped row: 25 ms on PostgreSQL at 10,000, 80 ms at 100,000.
MAX_MEMBER_PAGE = COUNT_CAP // PAGE_SIZE
ORDER_LABELS = {MemberOrder.EMAIL: "Email", MemberOrder.NAME: "Name"}
# ?done= after a change (a redirect, so a reload does not post again) -> the line shown.
DONE = {
    "approved": "Approved: she can sign in now.",
    "blocked": "Blocked: her sessions and tokens stopped working.",
    "unblocked": "Unblocked: she can sign in again (her old sessions stay ended).",
}
ID_MAX = 64


def _members_url(visit: Visit) -> str:
    return f"/console/p/{visit.project.project_id}/members"


def _member_id(request: Request) -> str:
    member_id = str(request.path_params["member_id"])
    if len(member_id) > ID_MAX:
        raise NotFound("Member not found")
    return member_id


@console_page()
async def list_members(request: Request, visit: Visit, _form: Form | None) -> Response:
    search = Form({"q": request.query_params.get("q", "")[: member_service.PREFIX_MAX + 1], "by": request.query_params.get("by", "")})
    check_controls(search, ["q"])
    if len(search.get("q")) > member_service.PREFIX_MAX:
        search.add_error("q", f"must be at most {member_service.PREFIX_MAX} characters")
    order = MemberOrder(search.get("by")) if search.get("by") in set(MemberOrder) else MemberOrder.EMAIL
    prefix = "" if search.errors else search.get("q").strip()
    number = min(page_number(request.query_params.get("page")), MAX_MEMBER_PAGE)
    page = await member_service.member_page(visit.runtime.db, visit.caller, order, prefix, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    shown_to = (number - 1) * PAGE_SIZE + len(page.members)
    query = {"q": prefix, "by": order.value} if prefix else {"by": order.value}
    return pages.render(
        "members.html",
        title="Members",
        members=page.members,
        total=page.total,
        too_many=page.too_many,
        request_deleted=request.query_params.get("deleted") == "1",
        search=search,
        prefix=prefix,
        order=order,
        order_labels=ORDER_LABELS,
        query=query,
        page_number=number,
        has_prev=number > 1,
        has_next=len(page.members) == PAGE_SIZE and (page.too_many or shown_to < page.total) and number < MAX_MEMBER_PAGE,
        deepest=number == MAX_MEMBER_PAGE,
        shown_from=(number - 1) * PAGE_SIZE + 1 if page.members else 0,
        shown_to=shown_to,
        **visit.context(),
    )


def _member_page(
    visit: Visit,
    member: MemberProfile,
    *,
    block: Form | None = None,
    delete: Form | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    return pages.render(
        "member.html",
        status,
        title=member.email,
        member=member,
        statuses=MemberStatus,
        block=block or Form({}),
        delete=delete or Form({}),
        done=DONE.get(done or ""),
        **visit.context(),
    )


async def _load(request: Request, visit: Visit) -> MemberProfile:
    return await member_service.get_member(visit.runtime.db, visit.caller, _member_id(request))


@console_page()
async def show_member(request: Request, visit: Visit, _form: Form | None) -> Response:
    return _member_page(visit, await _load(request, visit), done=request.query_params.get("done"))


async def _set_status(request: Request, visit: Visit, status: MemberStatus, done: str) -> Response:
    member = await _load(request, visit)
    await member_service.set_status(visit.runtime.db, visit.caller, member.id, status)
    return pages.redirect(f"{_members_url(visit)}/{member.id}?done={done}")


@console_page(write=True)
async def approve_member(request: Request, visit: Visit, _form: Form | None) -> Response:
    return await _set_status(request, visit, MemberStatus.APPROVED, "approved")


@console_page(write=True)
async def unblock_member(request: Request, visit: Visit, _form: Form | None) -> Response:
    return await _set_status(request, visit, MemberStatus.APPROVED, "unblocked")


@console_page(write=True)
async def block_member(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    member = await _load(request, visit)
    if form.get("confirm") != "yes":
        form.add_error("confirm", "tick the box to confirm that her sessions and tokens end now")
        return _member_page(visit, member, block=form, status=400)
    return await _set_status(request, visit, MemberStatus.BLOCKED, "blocked")


@console_page(write=True)
async def delete_member(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    member = await _load(request, visit)
    if form.get("confirm_email").strip().lower() != member.email:
        form.add_error("confirm_email", "type the member's email exactly to delete her")
        return _member_page(visit, member, delete=form, status=400)
    await member_service.delete_member(visit.runtime.db, visit.caller, member.id)
    return pages.redirect(f"{_members_url(visit)}?deleted=1")
