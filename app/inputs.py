"""What users send, read once for every form and query string: text, whole numbers and dates.

Three limits sit behind the app and none may be met by a value from outside: PostgreSQL refuses
NUL in text and numbers past bigint, Python's dates stop at year 9999 (a period's "day after"
or "period before" then overflows), and WTForms' NumberRange turns a number into a float, which
overflows past 308 digits. So text loses its control characters and is cut to a length, whole
numbers are ASCII digits of bounded count compared as integers, and dates keep to a range in
which any period arithmetic stays inside the calendar.

Two guards hold for every view, today's and later ones (init_app): query and form values arrive
without NUL, and a form reads only what an HTML form posts (no JSON values, no stray files).
"""

import re
from collections.abc import Mapping
from datetime import date

from flask import Flask, Request, request
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict
from wtforms import FileField, IntegerField, ValidationError
from wtforms.validators import InputRequired
from wtforms.widgets import HiddenInput

# C0 controls and DEL except tab, line feed and carriage return (NUL among them).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_DIGITS = 18  # every 18-digit number fits in bigint; a longer one is never a valid input here
MAX_ID = 2**63 - 1  # bigint: row ids
# Dates a filter or report may name. A range of up to ten years, the same range before it and the
# day after it all stay far inside Python's calendar (years 1 to 9999) and PostgreSQL's.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
_WHOLE_NUMBER = re.compile(rf"^[+-]?[0-9]{{1,{MAX_DIGITS}}}$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class NulFreeMultiDict(ImmutableMultiDict):
    """Query or form data with NUL taken out of every name and text value, whoever reads them:
    psycopg2 refuses NUL in a string, so no view can pass one to SQL (a 500)."""

    def __init__(self, mapping=None):
        super().__init__(None if mapping is None else [(_without_nul(k), _without_nul(v)) for k, v in _pairs(mapping)])


def _pairs(mapping):
    """(name, value) pairs of a MultiDict, a dict (list values are several values) or pairs."""
    if isinstance(mapping, MultiDict):
        return mapping.items(multi=True)
    if isinstance(mapping, Mapping):
        return [(k, v) for k, vs in mapping.items() for v in (vs if isinstance(vs, list | tuple) else [vs])]
    return mapping


def _without_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


class InputRequest(Request):
    """Flask's request, its query string and form read into NulFreeMultiDict (files untouched)."""

    parameter_storage_class = NulFreeMultiDict


_flask_wtf_form_data = FlaskForm.Meta.wrap_formdata


def posted_form_data(meta, form, formdata):
    """What a form reads, kept to what an HTML form posts: text, and files in file fields only.

    Flask-WTF also reads a JSON body into any form and offers every uploaded file to every field
    by name, so a field made for text could get a number, a list or a file (a 500 when it calls
    .strip() or len() on it). Such values are left out: the field then reads as empty.
    """
    try:
        data = _flask_wtf_form_data(meta, form, formdata)
    except (TypeError, ValueError):  # a JSON body that is not an object: no form data at all
        return MultiDict()
    # None: nothing submitted; the caller's own formdata is theirs; request.form holds text only.
    if data is None or data is formdata or data is request.form:
        return data
    file_fields = {field.name for field in form if isinstance(field, FileField)}
    return MultiDict(
        (name, value)
        for name, value in data.items(multi=True)
        if isinstance(value, str) or (name in file_fields and isinstance(value, FileStorage))
    )


def init_app(app: Flask) -> None:
    """Every request reads its query and form without NUL, and every form reads only form data."""
    app.request_class = InputRequest
    FlaskForm.Meta.wrap_formdata = posted_form_data


class InvalidInput(ValueError):
    """A value that cannot be used; the message says why, in words for the user."""


def clean_text(raw: str | None, max_length: int) -> str:
    """`raw` with each control character made a space, stripped and cut to `max_length` characters."""
    if not raw:
        return ""
    return CONTROL_CHARACTERS.sub(" ", raw[: max_length * 4]).strip()[:max_length].strip()


def has_control_characters(text: str | None) -> bool:
    """Whether `text` holds a control character other than tab, line feed and carriage return."""
    return bool(text) and CONTROL_CHARACTERS.search(text) is not None


def whole_number(raw: str | None, minimum: int, maximum: int) -> int | None:
    """`raw` as a whole number from `minimum` to `maximum`, else None: ASCII digits only (other
    scripts' digits and exponents are refused), at most MAX_DIGITS of them, never a float."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not _WHOLE_NUMBER.match(text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def parse_date(raw: str, label: str) -> date:
    """A date written YYYY-MM-DD from EARLIEST_DATE to LATEST_DATE; raise InvalidInput saying why not."""
    text = raw.strip()
    if not _ISO_DATE.match(text):
        raise InvalidInput(f"The {label} date must look like 2025-01-31.")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"The {label} date {text} does not exist.") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise InvalidInput(f"The {label} date must be from {EARLIEST_DATE} to {LATEST_DATE}.")
    return day


def text_arg(args: Mapping[str, str], name: str, max_length: int = 100) -> str:
    """A free-text query argument (a search box) made safe for SQL: see clean_text."""
    return clean_text(args.get(name), max_length)


def int_arg(args: Mapping[str, str], name: str, minimum: int, maximum: int) -> int | None:
    """A whole-number query argument within [minimum, maximum], else None (see whole_number)."""
    return whole_number(args.get(name), minimum, maximum)


# For WTForms: filters, validators and fields that every form uses.


def strip(value):
    """Filter: surrounding white space off a text field's value."""
    return value.strip() if isinstance(value, str) else value


def no_control_characters(form, field) -> None:
    """Validator: refuse control characters (tabs and line breaks excepted) in free text."""
    if isinstance(field.data, str) and has_control_characters(field.data):
        raise ValidationError("Remove the invisible control characters from this field.")


class WholeNumberField(IntegerField):
    """A whole number from `minimum` to `maximum`, read by whole_number: a value of 400 digits or
    in another script is refused with `message`, never converted to a float (NumberRange would)."""

    def __init__(self, label=None, validators=None, *, minimum: int, maximum: int, message: str = "", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.message = message or f"Enter a whole number from {minimum:,} to {maximum:,}."
        # What NumberRange would give the widget: the browser checks the range too.
        self.flags.min, self.flags.max = minimum, maximum

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = whole_number(valuelist[0], self.minimum, self.maximum)
            if self.data is None:
                raise ValueError(self.message)


STALE_FORM = "This form is out of date. Reload the page and try again."


def id_field(**kwargs) -> WholeNumberField:
    """A hidden row id that the page itself wrote: anything else means a stale or edited page."""
    return WholeNumberField(
        widget=HiddenInput(),
        minimum=1,
        maximum=MAX_ID,
        message=STALE_FORM,
        validators=[InputRequired(STALE_FORM)],
        **kwargs,
    )
