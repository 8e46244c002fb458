"""API tokens in the staff area: create (shown once), list (created, last used), revoke.

Everyone manages their own tokens; the administration sees and revokes everyone's.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from buergergis.admin.auth import create_api_token
from buergergis.admin.blueprint import bp, staff
from buergergis.admin.forms import ConfirmForm, TokenForm
from buergergis.errors import InvalidParameter, NotFound
from buergergis.store import audit, users
from buergergis.web import state


@bp.route("/tokens", methods=["GET", "POST"])
def tokens() -> ResponseReturnValue:
    """List tokens and create a new one (its value is shown exactly once)."""
    user, form, created, status = staff(), TokenForm(), None, 200
    if request.method == "POST":
        if not form.validate():
            raise InvalidParameter("Bitte eine Bezeichnung angeben (höchstens 80 Zeichen).")
        created = create_api_token(
            state().engine, user.name, label=form.label.data.strip(), actor=user.name
        )
        form = TokenForm(formdata=None)
        status = 201
    with state().engine.connect() as conn:
        listed = users.list_tokens(conn, None if user.is_admin else user.name)
    html = render_template(
        "admin/tokens.html", form=form, tokens=listed, created=created, confirm=ConfirmForm()
    )
    return html, status


@bp.post("/tokens/<int:token_id>/revoke")
def token_revoke(token_id: int) -> ResponseReturnValue:
    """Revoke one token (own ones; the administration: any)."""
    user = staff()
    with state().engine.begin() as conn:
        owner = users.revoke_token(conn, token_id, None if user.is_admin else user.name)
        if owner is None:
            raise NotFound("Diesen Token gibt es nicht (mehr).")
        audit.record(conn, user.name, "token_revoke", details={"account": owner, "token": token_id})
    flash("Token widerrufen – Skripte mit diesem Token werden ab sofort abgewiesen.", "success")
    return redirect(url_for("admin.tokens"))
