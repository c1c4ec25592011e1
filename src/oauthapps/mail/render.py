"""Mail bodies from Jinja templates in web/templates/mail/: ``NAME.subject.txt``, ``NAME.txt`` (plain
text, no escaping) and ``NAME.html`` (autoescaped, so parameters never become markup)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..domain.mail import MailTemplate
from ..web import WEB_DIR

MAIL_TEMPLATES = WEB_DIR / "templates" / "mail"

_text = Environment(loader=FileSystemLoader(MAIL_TEMPLATES), autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)  # noqa: S701
_html = Environment(loader=FileSystemLoader(MAIL_TEMPLATES), autoescape=True, undefined=StrictUndefined)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def render(template: MailTemplate, params: Mapping[str, object]) -> RenderedMail:
    """A missing parameter is an error here, at enqueue time, in the transaction of the change."""
    context = dict(params)
    subject = " ".join(_text.get_template(f"{template.value}.subject.txt").render(context).split())
    return RenderedMail(
        subject=subject,
        text=_text.get_template(f"{template.value}.txt").render(context),
        html=_html.get_template(f"{template.value}.html").render(context),
    )
