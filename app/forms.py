"""Flask-WTF forms. Every form carries a CSRF token; limits here match the schema's."""

import functools
import re
import uuid
import zoneinfo
from decimal import Decimal

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    UUID,
    AnyOf,
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)
from wtforms.widgets import Select, html_params

from app.inputs import WholeNumberField, id_field, no_control_characters
from app.inputs import strip as _strip

# Digits (commas only as thousands separators, so "1,50" is refused, not read as 150),
# then at most two decimals. ASCII digits only: \d would accept other scripts' digits.
_MONEY = re.compile(r"^\$?\s*([0-9]{1,3}(?:,[0-9]{3}){1,2}|[0-9]{1,9})(\.[0-9]{1,2})?$")


class MoneyField(StringField):
    """An amount of money: digits with at most two decimals, read as a Decimal.

    Stricter than WTForms' DecimalField, which accepts NaN, Infinity and exponents.
    """

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist:
            return
        self.raw = valuelist[0].strip()
        match = _MONEY.match(self.raw)
        if match:
            self.data = Decimal(match.group(1).replace(",", "") + (match.group(2) or ""))

    def pre_validate(self, form):
        if self.data is None:
            raise ValidationError("Enter an amount like 25 or 25.50 (at most two decimals).")

    def _value(self):
        return getattr(self, "raw", None) or ("" if self.data is None else f"{self.data:.2f}")


class ShownTotalField(HiddenField):
    """The total the page showed, sent back hidden: a Decimal, or None when missing or unreadable
    (then nothing is compared; NaN and exponents never reach the comparison)."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and (match := _SHOWN_TOTAL.match(valuelist[0].strip())):
            self.data = Decimal(match.group(0))


_SHOWN_TOTAL = re.compile(r"^[0-9]{1,15}(\.[0-9]{1,2})?$")


def amount_between(low: Decimal, high: Decimal):
    """A validator that keeps a MoneyField within [low, high], saying so in dollars."""

    def check(form, field):
        if field.data is not None and not low <= field.data <= high:
            raise ValidationError(f"Enter an amount from ${low:,.2f} to ${high:,.2f}.")

    return check


# Unbound fields, shared by the forms that ask for the same thing.
email_field = EmailField(
    "E-mail",
    filters=[_strip],
    validators=[DataRequired("Enter your e-mail address."), Length(max=254), Email("Enter a valid e-mail address.")],
)


class RegisterForm(FlaskForm):
    email = email_field
    full_name = StringField(
        "Full name",
        filters=[_strip],
        validators=[DataRequired("Enter your name."), Length(max=100), no_control_characters],
    )
    address = TextAreaField(
        "Shipping address",
        filters=[_strip],
        validators=[DataRequired("Enter your address."), Length(max=300), no_control_characters],
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Choose a password."), Length(8, 128, "Use 8 to 128 characters.")],
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[InputRequired("Repeat the password."), EqualTo("password", "The two passwords differ.")],
    )
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    email = email_field
    password = PasswordField("Password", validators=[InputRequired("Enter your password."), Length(max=128)])
    remember = BooleanField("Remember me")
    submit = SubmitField("Sign in")


class ProfileForm(FlaskForm):
    # The e-mail changes only after the new address proves itself (app/forms_account.py ChangeEmailForm).
    full_name = RegisterForm.full_name
    address = RegisterForm.address
    submit = SubmitField("Save profile")


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password."), Length(max=128)]
    )
    password = PasswordField(
        "New password",
        validators=[InputRequired("Choose a new password."), Length(8, 128, "Use 8 to 128 characters.")],
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[InputRequired("Repeat the new password."), EqualTo("password", "The two passwords differ.")],
    )
    submit = SubmitField("Change password")


class OneTimeForm(FlaskForm):
    """A form with a hidden token made fresh for each rendering, so submitting it twice applies once."""

    EXPIRED = "This form has expired. Check the amount and submit it again."
    request_token = HiddenField(default=lambda: str(uuid.uuid4()), validators=[InputRequired(EXPIRED), UUID(EXPIRED)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.request_token.errors:
            self.request_token.data = str(uuid.uuid4())  # so the re-shown form can be sent again
        return valid


class TopUpForm(OneTimeForm):
    # Both balance forms share a page: distinct ids keep each label tied to its own input.
    amount = MoneyField(
        "Amount to add", id="top-up-amount", validators=[amount_between(Decimal("0.01"), Decimal("10000.00"))]
    )
    submit = SubmitField("Add money")


class WithdrawForm(OneTimeForm):
    amount = MoneyField(
        "Amount to withdraw", id="withdraw-amount", validators=[amount_between(Decimal("0.01"), Decimal("1000000.00"))]
    )
    submit = SubmitField("Withdraw")


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST-only buttons (sign out, fulfil, vote)."""

    submit = SubmitField("Submit")


def cart_quantity_field(missing: str, **kwargs) -> WholeNumberField:
    """How many of an offer a cart line holds: 1 to 999 (the schema's limit)."""
    return WholeNumberField(
        "Quantity",
        minimum=1,
        maximum=999,
        message="Choose from 1 to 999.",
        validators=[InputRequired(missing)],
        **kwargs,
    )


class AddToCartForm(FlaskForm):
    """Posted by each seller row of a product page."""

    product_id = id_field()
    seller_id = id_field()
    quantity = cart_quantity_field("Enter how many you want.", default=1)


class CartLineForm(FlaskForm):
    """Identifies one cart line for remove, save for later and move to cart."""

    product_id = id_field()
    seller_id = id_field()


class CartQuantityForm(CartLineForm):
    quantity = cart_quantity_field("Enter a quantity.")


class ReviewForm(FlaskForm):
    rating = SelectField(
        "Rating",
        choices=[
            SelectChoice("", "Choose…"),
            SelectChoice("5", "5 stars — excellent"),
            SelectChoice("4", "4 stars — good"),
            SelectChoice("3", "3 stars — fair"),
            SelectChoice("2", "2 stars — poor"),
            SelectChoice("1", "1 star — bad"),
        ],
        validators=[
            InputRequired("Choose a rating from 1 to 5 stars."),
            AnyOf(["1", "2", "3", "4", "5"], "Choose a rating from 1 to 5 stars."),
        ],
        validate_choice=False,  # AnyOf says it in words; the default message is cryptic
    )
    title = StringField(
        "Title",
        filters=[_strip],
        validators=[DataRequired("Give your review a title."), Length(max=120), no_control_characters],
    )
    body = TextAreaField(
        "Review",
        filters=[_strip],
        validators=[DataRequired("Write a few words."), Length(max=5000), no_control_characters],
    )
    submit = SubmitField("Publish review")


class VoteForm(FlaskForm):
    helpful = HiddenField(validators=[AnyOf(["1", "0"])])


class MessageForm(FlaskForm):
    body = TextAreaField(
        "Message",
        filters=[_strip],
        validators=[DataRequired("Write a message."), Length(max=2000), no_control_characters],
    )
    submit = SubmitField("Send")


# IANA regions whose Region/City zones people choose from; the rest are aliases and legacy names.
TIME_ZONE_REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@functools.cache
def time_zone_names() -> frozenset[str]:
    """The time zones a user may choose: UTC and every Region/City zone of the IANA database."""
    regional = {name for name in zoneinfo.available_timezones() if name.split("/", 1)[0] in TIME_ZONE_REGIONS}
    return frozenset({"UTC"} | regional)


@functools.cache
def _time_zone_choices() -> dict[str, list[tuple[str, str]]]:
    """The choices grouped by region (each region an <optgroup>), UTC first."""
    choices: dict[str, list[tuple[str, str]]] = {"Universal": [("UTC", "UTC")]}
    for name in sorted(time_zone_names() - {"UTC"}):
        region, _, place = name.partition("/")
        choices.setdefault(region, []).append((name, place.replace("_", " ").replace("/", " / ")))
    return choices


@functools.cache
def _time_zone_options() -> str:
    """The <optgroup>s and <option>s of every time zone, none selected, as Select renders them."""
    return "".join(
        f"<optgroup {html_params(label=region)}>"
        + "".join(f"<option {html_params(value=name)}>{escape(label)}</option>" for name, label in places)
        + "</optgroup>"
        for region, places in _time_zone_choices().items()
    )


class TimeZoneSelect(Select):
    """WTForms' Select for the fixed list of some 430 zones: the options are rendered once per
    process and only the chosen one is marked (rendered one by one they took ~60 ms a page)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        for flag in self.validation_attrs:
            if flag not in kwargs and getattr(field.flags, flag):
                kwargs[flag] = getattr(field.flags, flag)
        options = _time_zone_options()
        if field.data in time_zone_names():
            plain = f"<option {html_params(value=field.data)}>"
            options = options.replace(plain, f"<option {html_params(selected=True, value=field.data)}>", 1)
        # Every part is escaped: html_params escapes, and so did _time_zone_options.
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")  # noqa: S704


def known_time_zone(form, field):
    """Refuse any time zone outside the list (the SQL uses it, bound, in AT TIME ZONE)."""
    if field.data not in time_zone_names():
        raise ValidationError("Choose a time zone from the list.")


class TimeZoneForm(FlaskForm):
    time_zone = SelectField(
        "Time zone",
        choices=_time_zone_choices,
        validators=[known_time_zone],
        validate_choice=False,
        widget=TimeZoneSelect(),
    )
    submit = SubmitField("Save time zone")
