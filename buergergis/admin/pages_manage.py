"""HTML pages of managing a layer: edit form, visibility, delete with confirmation, recycle bin,
rollback with confirmation. The domain work is in ``admin.manage`` (same as the API)."""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from buergergis.admin import manage
from buergergis.admin.blueprint import bp, settings, staff
from buergergis.admin.forms import ConfirmForm, RollbackForm
from buergergis.admin.pages import layer_page, layer_record
from buergergis.errors import BuergerGISError, InvalidParameter, NotFound
from buergergis.store import history, lifecycle
from buergergis.web import state

TEXT_FIELDS = (
    "title",
    "title_en",
    "description",
    "description_en",
    "category",
    "license",
    "attribution",
    "data_date",
)
CATEGORY_LINE = re.compile(
    r"^(?P<value>.+?)\s*=\s*(?P<color>#[0-9a-fA-F]{6})\s*(?:=\s*(?P<label>.*))?$"
)


def edit_changes(form: MultiDict[str, str], record_kind: str, names: list[str]) -> dict[str, Any]:
    """The PATCH body of the edit form (attribute rows, popup/search boxes, style fields)."""
    changes: dict[str, Any] = {k: form.get(k, "").strip() for k in TEXT_FIELDS if k in form}
    for key in ("minzoom", "maxzoom"):
        if form.get(key, "").strip():
            try:
                changes[key] = int(form[key])
            except ValueError:
                raise InvalidParameter(f"Zoomstufe '{form[key]}' ist keine ganze Zahl.") from None
    if record_kind != "vector":
        return changes
    rows = []
    for position, name in enumerate(names):
        if form.get(f"show_{name}"):
            order = form.get(f"order_{name}", "").strip()
            rank = int(order) if order.lstrip("-").isdigit() else position + 1
            label = {
                "name": name,
                "title": form.get(f"title_{name}", "").strip(),
                "title_en": form.get(f"title_en_{name}", "").strip(),
            }
            rows.append((rank, position, label))
    changes["attributes"] = [label for _, _, label in sorted(rows, key=lambda r: r[:2])]
    shown = {label["name"] for label in changes["attributes"]}
    changes["popup"] = [n for n in form.getlist("popup") if n in shown]  # hidden: not in popup
    changes["search"] = [n for n in form.getlist("search") if n in shown]
    changes["style"] = _style(form)
    return changes


def _style(form: MultiDict[str, str]) -> dict[str, Any]:
    style: dict[str, Any] = {
        "color": form.get("color", "").strip() or None,
        "label": form.get("label") or None,
        "by_attribute": None,
    }
    attribute = form.get("by_attribute", "")
    if attribute:
        categories = []
        for line in form.get("by_categories", "").splitlines():
            if not line.strip():
                continue
            match = CATEGORY_LINE.match(line.strip())
            if match is None:
                raise InvalidParameter(
                    f"Zeile '{line.strip()}': bitte als 'Wert = #rrggbb' oder "
                    "'Wert = #rrggbb = Legendentext' angeben."
                )
            item = {"value": match["value"], "color": match["color"]}
            if match["label"]:
                item["label"] = match["label"].strip()
            categories.append(item)
        style["by_attribute"] = {
            "attribute": attribute,
            "categories": categories,
            "other_label": form.get("other_label", "").strip() or None,
        }
    return style


@bp.post("/layers/<layer_id>/edit")
def layer_edit(layer_id: str) -> ResponseReturnValue:
    """Save the edit form (a new version sharing the data)."""
    record = layer_record(layer_id)
    try:
        with state().engine.connect() as conn:
            names = list(manage.known_attributes(conn, record))
        changes = edit_changes(request.form, record.kind, names)
        manage.edit_layer(state().engine, layer_id, changes, staff().name)
    except BuergerGISError as exc:
        return layer_page(layer_id, error=exc.description, submitted=request.form), max(
            exc.status, 400
        )
    flash("Änderungen gespeichert – sie gelten sofort überall.", "success")
    return redirect(url_for("admin.layer_view", layer_id=layer_id))


@bp.post("/layers/<layer_id>/visibility")
def layer_visibility(layer_id: str) -> ResponseReturnValue:
    """Publish (``public=1``) or unpublish (``public=0``)."""
    public = request.form.get("public") == "1"
    manage.set_public(state().engine, layer_id, public, staff().name, settings())
    flash(
        "Der Layer ist jetzt öffentlich sichtbar."
        if public
        else "Der Layer ist jetzt privat (nur für angemeldete Mitarbeitende).",
        "success",
    )
    return redirect(url_for("admin.layer_view", layer_id=layer_id))


@bp.route("/layers/<layer_id>/delete", methods=["GET", "POST"])
def layer_delete(layer_id: str) -> ResponseReturnValue:
    """Confirm, then move the layer to the recycle bin."""
    record = manage.managed_record(state().engine, layer_id)
    if request.method == "GET":
        return render_template(
            "admin/confirm.html",
            heading=f"Layer „{record.definition.title}“ löschen?",
            lines=[
                f"Der Layer „{record.definition.title}“ ({record.id}, "
                f"{record.feature_count or 0} Objekte) verschwindet sofort von der Karte, "
                "aus der API, den Kacheln und den Feeds.",
                f"Er bleibt {settings().deleted_keep_days} Tage im Papierkorb und kann bis "
                "dahin wiederhergestellt werden; danach wird er mit allen Versionen entfernt.",
            ],
            action=url_for("admin.layer_delete", layer_id=layer_id),
            button=f"„{record.definition.title}“ löschen",
            danger=True,
            back=url_for("admin.layer_view", layer_id=layer_id),
            confirm=ConfirmForm(),
        )
    manage.delete_layer(settings(), state().engine, layer_id, staff().name)
    flash(f"„{record.definition.title}“ liegt jetzt im Papierkorb.", "success")
    return redirect(url_for("admin.index"))


@bp.post("/trash/<layer_id>/restore")
def trash_restore(layer_id: str) -> ResponseReturnValue:
    """Take a layer out of the recycle bin."""
    record = manage.restore_layer(state().engine, layer_id, staff().name)
    flash(f"„{record.definition.title}“ ist wiederhergestellt.", "success")
    return redirect(url_for("admin.layer_view", layer_id=layer_id))


@bp.route("/trash/<layer_id>/purge", methods=["GET", "POST"])
def trash_purge(layer_id: str) -> ResponseReturnValue:
    """Confirm, then delete a layer of the recycle bin for good."""
    entry = manage.deleted_state(settings(), state().engine, layer_id)
    if request.method == "GET":
        return render_template(
            "admin/confirm.html",
            heading=f"„{entry['title']}“ endgültig löschen?",
            lines=[
                f"Der Layer „{entry['title']}“ ({layer_id}) wird mit allen Versionen "
                "entfernt. Das kann nicht rückgängig gemacht werden."
            ],
            action=url_for("admin.trash_purge", layer_id=layer_id),
            button="Endgültig löschen",
            danger=True,
            back=url_for("admin.index"),
            confirm=ConfirmForm(),
        )
    manage.purge_layer(settings(), state().engine, layer_id, staff().name)
    flash(f"„{entry['title']}“ ist endgültig gelöscht.", "success")
    return redirect(url_for("admin.index"))


@bp.get("/layers/<layer_id>/rollback")
def layer_rollback_confirm(layer_id: str) -> ResponseReturnValue:
    """Say what a rollback changes before doing it (``?version=``)."""
    record = layer_record(layer_id)
    version = request.args.get("version", type=int)
    with state().engine.connect() as conn:
        versions = history.list_versions(conn, layer_id)
    target = next((v for v in versions if v.version == version and v.kept), None)
    live = next((v for v in versions if v.live), None)
    if target is None or live is None:
        raise NotFound("Diese Version ist nicht (mehr) vorhanden.")
    form = RollbackForm(formdata=None)
    form.version.data = target.version
    return render_template(
        "admin/confirm.html",
        heading=f"Zu {target.label} von „{record.definition.title}“ zurückkehren?",
        lines=[
            f"{target.feature_count or 0} Objekte ({target.label}) ersetzen "
            f"{record.feature_count or 0} Objekte ({live.label}, jetzt live).",
            "Titel, Beschriftungen, Darstellung und Sichtbarkeit bleiben wie jetzt. "
            "Die jetzige Version bleibt erhalten und kann zurückgeholt werden.",
        ],
        action=url_for("admin.layer_rollback", layer_id=layer_id),
        button=f"Zu {target.label} zurückkehren",
        danger=False,
        back=url_for("admin.layer_view", layer_id=layer_id),
        confirm=form,
        hidden={"version": target.version},
    )


def trash_entries() -> list[lifecycle.DeletedLayer]:
    """The recycle bin for the overview page."""
    with state().engine.connect() as conn:
        return lifecycle.deleted_layers(conn, settings().deleted_keep_days)
