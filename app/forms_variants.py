"""Forms for products that come in options: a new product with variants, a variant added to one."""

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.forms_seller import ProductForm
from app.inputs import no_control_characters
from app.inputs import strip as _strip
from app.models.variant import MAX_OPTIONS, MAX_VALUE_LENGTH


def split_list(text: str) -> list[str]:
    """ "Colour, Size" as ["Colour", "Size"]: comma-separated, trimmed, empty items dropped."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _short_list(noun: str):
    """A validator: 1 to MAX_OPTIONS comma-separated `noun`s, each short, no two alike."""

    def validate(form, field) -> None:
        items = split_list(field.data)
        if not 1 <= len(items) <= MAX_OPTIONS:
            raise ValidationError(f"Give 1 to {MAX_OPTIONS} {noun}s, separated by commas.")
        if any(len(item) > MAX_VALUE_LENGTH for item in items):
            raise ValidationError(f"Keep each {noun} under {MAX_VALUE_LENGTH} characters.")
        if noun == "option" and len({item.casefold() for item in items}) != len(items):
            raise ValidationError("Each option must differ from the others.")

    return validate


def _list_field(label: str, message: str) -> StringField:
    return StringField(
        label,
        filters=[_strip],
        validators=[DataRequired(message), Length(max=200), no_control_characters, _short_list("option")],
    )


class NewProductWithOptionsForm(ProductForm):
    """A product whose sellers offer its variants, not the product itself (no first offer here)."""

    options = _list_field("Options", "Name the options it comes in, such as Colour, Size.")
    submit = SubmitField("Create product")


class VariantForm(FlaskForm):
    """One variant: a value for each of the product's options, in their order (and the options
    themselves, for a product that has none yet)."""

    options = StringField(
        "Options",
        filters=[_strip],
        validators=[Optional(), Length(max=200), no_control_characters, _short_list("option")],
    )
    values = StringField(
        "Values",
        filters=[_strip],
        validators=[
            DataRequired("Give a value for each option, such as Red, M."),
            Length(max=200),
            no_control_characters,
            _short_list("value"),
        ],
    )
    submit = SubmitField("Add variant")
