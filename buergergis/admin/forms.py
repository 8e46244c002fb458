"""Forms of the staff area (Flask-WTF: every form carries a CSRF token).

The JSON API fills the same forms from its request body (without CSRF, it uses tokens), so
pages and API validate input identically and with the same German messages.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.meta import DefaultMeta
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from buergergis.admin.doctor import ENCODINGS
from buergergis.admin.publish import LayerMeta
from buergergis.catalog.models import CATEGORIES, ID_MAX_LENGTH, ID_PATTERN, RESERVED_IDS

ICONS = {
    "": "Kein Symbol (Kreis)",
    "location-dot": "Ortsmarke",
    "building": "Gebäude",
    "school": "Schule",
    "children": "Kinder",
    "tree": "Baum",
    "leaf": "Natur",
    "water": "Wasser",
    "bus": "Bus",
    "bicycle": "Fahrrad",
    "square-parking": "Parken",
    "hospital": "Gesundheit",
    "landmark": "Verwaltung",
    "church": "Kirche",
    "recycle": "Entsorgung",
    "circle-info": "Information",
}
ROLE_CHOICES = {
    "editor": "Redaktion (Layer verwalten)",
    "admin": "Administration (auch Konten)",
}
REQUIRED = "Pflichtfeld."


class AdminForm(FlaskForm):
    """Base form: WTForms' own German messages (Flask-WTF would need Flask-Babel for that)."""

    class Meta:
        locales = ("de_DE", "de")

        def get_translations(self, form: Any) -> Any:
            return DefaultMeta.get_translations(self, form)


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes (popup fields)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _not_reserved(form: Any, field: Any) -> None:
    if field.data in RESERVED_IDS:
        raise ValidationError(f"'{field.data}' ist ein reservierter Name.")


class LoginForm(AdminForm):
    """Name and password."""

    name = StringField(
        "Name",
        validators=[DataRequired(REQUIRED), Length(max=40)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Passwort",
        validators=[DataRequired(REQUIRED), Length(max=500)],
        render_kw={"autocomplete": "current-password"},
    )


class UploadForm(AdminForm):
    """One file."""

    file = FileField("Datei", validators=[FileRequired("Bitte eine Datei wählen.")])


class OptionsMixin:
    """How the upload is read (hidden fields carried from the preview to publishing)."""

    dataset = HiddenField()
    encoding = HiddenField()
    crs = HiddenField()
    x = HiddenField()
    y = HiddenField()


class PublishForm(OptionsMixin, AdminForm):
    """Metadata of a new layer."""

    id = StringField(
        "Layer-ID (Adresse)",
        validators=[
            DataRequired(REQUIRED),
            Length(max=ID_MAX_LENGTH),
            Regexp(
                ID_PATTERN,
                message="Nur Kleinbuchstaben, Ziffern, - und _; am Anfang ein Buchstabe.",
            ),
            _not_reserved,
        ],
    )
    title = StringField("Titel", validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField("Beschreibung", validators=[Optional(), Length(max=5000)])
    category = SelectField("Kategorie", choices={c: c for c in CATEGORIES}, default="Sonstiges")
    color = StringField(
        "Farbe",
        default="#1f6fb2",
        validators=[Regexp(r"^#[0-9a-fA-F]{6}$", message="Farbe als #rrggbb angeben.")],
    )
    icon = SelectField("Symbol", choices=dict(ICONS), default="")
    popup = MultiCheckboxField("Felder im Popup", choices={}, validate_choice=False)
    public = BooleanField("Öffentlich sichtbar", default=False)
    license = StringField(
        "Lizenz", default="dl-de/by-2-0", validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    attribution = StringField(
        "Namensnennung",
        default="Stadt Hameln",
        validators=[DataRequired(REQUIRED), Length(max=300)],
    )
    id_column = SelectField(
        "ID-Spalte (stabile Objekt-IDs)", choices={"": "Zeilennummer"}, validate_choice=False
    )

    def meta_data(self) -> LayerMeta:
        """The validated metadata."""
        return LayerMeta(
            id=self.id.data,
            title=self.title.data.strip(),
            description=(self.description.data or "").strip(),
            category=self.category.data,
            color=self.color.data,
            icon=self.icon.data or None,
            popup=tuple(self.popup.data or ()),
            public=bool(self.public.data),
            license=self.license.data.strip(),
            attribution=self.attribution.data.strip(),
            id_column=self.id_column.data or None,
        )


class ReplaceForm(OptionsMixin, AdminForm):
    """Which layer's data to replace."""

    target = SelectField(
        "Layer", validators=[InputRequired(REQUIRED)], choices={}, validate_choice=False
    )


class TokenForm(AdminForm):
    """A new API token: what it is for."""

    label = StringField(
        "Bezeichnung (wofür?)",
        validators=[DataRequired(REQUIRED), Length(max=80)],
        render_kw={"autocomplete": "off"},
    )


class RollbackForm(AdminForm):
    """The kept version to make live again."""

    version = IntegerField("Version", validators=[InputRequired(REQUIRED)])


class ConfirmForm(AdminForm):
    """A button only (logout, discard): the CSRF token is the point."""


class AccountForm(AdminForm):
    """A new account."""

    name = StringField("Name", validators=[DataRequired(REQUIRED), Length(max=40)])
    role = SelectField("Rolle", choices=ROLE_CHOICES, default="editor")
    password = PasswordField(
        "Passwort",
        validators=[DataRequired(REQUIRED), Length(max=500)],
        render_kw={"autocomplete": "new-password"},
    )


class AccountChangeForm(AdminForm):
    """Role, active flag or a new password of an account."""

    role = SelectField("Rolle", choices=ROLE_CHOICES)
    active = BooleanField("Aktiv")
    password = PasswordField(
        "Neues Passwort",
        validators=[Optional(), Length(max=500)],
        render_kw={"autocomplete": "new-password"},
    )


def encoding_choices() -> list[tuple[str, str]]:
    """Choices for the encoding override."""
    return [("", "automatisch erkennen"), *ENCODINGS.items()]


def api_form(form_class: type[AdminForm], data: dict[str, Any] | None) -> AdminForm:
    """A form filled from a JSON body, without CSRF (the API authenticates by token)."""
    pairs: list[tuple[str, Any]] = []
    for key, value in (data or {}).items():
        if isinstance(value, list):
            pairs += [(key, str(v)) for v in value]
        elif isinstance(value, bool):
            if value:
                pairs.append((key, "y"))
        elif value is not None:
            pairs.append((key, str(value)))
    return form_class(formdata=MultiDict(pairs), meta={"csrf": False})


def form_errors(form: FlaskForm) -> dict[str, list[str]]:
    """Field errors with the field labels, for messages and the API."""
    return {str(getattr(form, name).label.text): list(errs) for name, errs in form.errors.items()}
