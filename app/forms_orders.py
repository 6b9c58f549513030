"""Forms of the order journey: addresses, the checkout review, shipping methods, shipping lines,
returns. Limits match the schema's (migrations 0013 and 0014)."""

import re
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import UUID, DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from app.forms import MoneyField, ShownTotalField, amount_between
from app.forms_seller import IdListField
from app.inputs import MAX_ID, WholeNumberField, no_control_characters, whole_number
from app.inputs import strip as _strip


def _text(label: str, max_length: int, required: str | None = None, **kwargs) -> StringField:
    """A one-line text field, stripped, without control characters, `required` its message if needed."""
    validators = [DataRequired(required)] if required else [Optional()]
    return StringField(
        label,
        filters=[_strip],
        validators=[*validators, Length(max=max_length), no_control_characters],
        **kwargs,
    )


class AddressForm(FlaskForm):
    full_name = _text("Full name", 100, "Enter the name the parcel is for.", render_kw={"autocomplete": "name"})
    line1 = _text("Street and number", 300, "Enter the street and number.", render_kw={"autocomplete": "address-line1"})
    line2 = _text("Apartment, suite, etc. (optional)", 200, render_kw={"autocomplete": "address-line2"})
    city = _text("City", 100, "Enter the city.", render_kw={"autocomplete": "address-level2"})
    postal_code = _text("Postal code", 20, "Enter the postal code.", render_kw={"autocomplete": "postal-code"})
    country = _text("Country", 60, "Enter the country.", render_kw={"autocomplete": "country-name"})
    phone = _text(
        "Phone (optional, for the carrier)",
        30,
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    make_default = BooleanField("Use as my default address")
    submit = SubmitField("Save address")

    def validate_phone(self, field):
        if field.data and not re.fullmatch(r"[0-9+()./ -]{3,30}", field.data):
            raise ValidationError("Enter the phone number with digits, spaces and + ( ) - only.")

    def values(self) -> dict:
        """The address as the model stores it."""
        return {name: getattr(self, name).data or "" for name in AddressForm.FIELDS}

    FIELDS = ("full_name", "line1", "line2", "city", "postal_code", "country", "phone")


class CheckoutReviewForm(FlaskForm):
    """The review page's "Place order": the one-time token, the total shown, the address, the note;
    each seller's shipping method is a `ship-<seller_id>` select, read by shipping_choices()."""

    token = HiddenField(validators=[InputRequired(), UUID("This checkout form is not valid. Reload your cart.")])
    expected_total = ShownTotalField()
    address_id = WholeNumberField(
        "Deliver to", minimum=1, maximum=MAX_ID, message="Choose one of your addresses.", validators=[Optional()]
    )
    note = TextAreaField(
        "Note to the sellers (optional)",
        filters=[_strip],
        validators=[Length(max=500, message="Keep the note under 500 characters."), no_control_characters],
    )
    submit = SubmitField("Place order")

    PREFIX = "ship-"
    MAX_SELLERS = 100  # more shipping fields than a cart can have sellers is not a form this page wrote


def shipping_choices(form_data, prefix: str = CheckoutReviewForm.PREFIX) -> dict[int, int]:
    """Each seller's chosen method from `ship-<seller_id>` fields: {seller_id: method_id}.

    Fields whose name or value is not a row id are left out (that seller then gets their
    cheapest method, and a total that no longer matches what was shown is refused).
    """
    choices: dict[int, int] = {}
    for name in form_data:
        if not name.startswith(prefix) or len(choices) >= CheckoutReviewForm.MAX_SELLERS:
            continue
        seller_id = whole_number(name[len(prefix) :], 1, MAX_ID)
        method_id = whole_number(form_data.get(name), 1, MAX_ID)
        if seller_id is not None and method_id is not None:
            choices[seller_id] = method_id
    return choices


def _days(label: str, missing: str) -> WholeNumberField:
    """A number of delivery days, 0 to 365."""
    message = "Enter a number of days from 0 to 365."
    return WholeNumberField(label, minimum=0, maximum=365, message=message, validators=[InputRequired(missing)])


class OptionalMoneyField(MoneyField):
    """An amount of money that may be left empty (None)."""

    def pre_validate(self, form):
        if self.data is None and getattr(self, "raw", ""):
            raise ValidationError("Enter an amount like 50 or 49.99, or leave it empty.")


class ShippingMethodForm(FlaskForm):
    name = _text("Name", 60, "Name the method, like Standard or Express.")
    fee = MoneyField("Fee", validators=[amount_between(Decimal("0.00"), Decimal("10000.00"))])
    free_over = OptionalMoneyField(
        "Free for orders from (optional)", validators=[amount_between(Decimal("0.01"), Decimal("1000000.00"))]
    )
    min_days = _days("Delivery in at least (days)", "Enter the fewest days delivery takes.")
    max_days = _days("and at most (days)", "Enter the most days delivery takes.")
    submit = SubmitField("Save method")

    def validate_max_days(self, field):
        if self.min_days.data is not None and field.data is not None and field.data < self.min_days.data:
            raise ValidationError("The most days cannot be fewer than the fewest.")

    def values(self) -> dict:
        """The method as the model stores it."""
        return {
            "name": self.name.data,
            "fee": self.fee.data,
            "free_over": self.free_over.data,
            "min_days": self.min_days.data,
            "max_days": self.max_days.data,
        }


class ShipForm(FlaskForm):
    """Mark order lines shipped: the lines, the carrier, and the tracking number if there is one."""

    MAX_LINES = 100

    order_ids = IdListField()
    carrier = _text("Carrier", 60, "Name the carrier, like UPS or the postal service.")
    tracking_number = StringField(
        "Tracking number (optional)",
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=60),
            Regexp(r"^[A-Za-z0-9][A-Za-z0-9 -]*$", message="Use letters, digits, spaces and dashes only."),
        ],
    )
    submit = SubmitField("Mark shipped")

    def validate_order_ids(self, field):
        if not field.data:
            raise ValidationError("Select at least one order line to mark shipped.")
        if len(field.data) > self.MAX_LINES:
            raise ValidationError(f"Mark at most {self.MAX_LINES} lines at a time.")


def _reason(label: str, missing: str) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(missing),
            Length(max=500, message="Keep it under 500 characters."),
            no_control_characters,
        ],
    )


class ReturnRequestForm(FlaskForm):
    reason = _reason("Why are you returning it?", "Say what is wrong, so the seller can answer.")
    submit = SubmitField("Ask to return")


class AcceptReturnForm(FlaskForm):
    restock = RadioField(
        "What happens to the item",
        choices=[
            SelectChoice("yes", "It comes back to me: refund and put it back in stock"),
            SelectChoice("no", "Refund only: the buyer keeps it, or it cannot be sold again"),
        ],
        validators=[InputRequired("Choose whether the item goes back in stock.")],
    )
    submit = SubmitField("Accept and refund")


class RefuseReturnForm(FlaskForm):
    reason = _reason("Why do you refuse?", "Tell the buyer why.")
    submit = SubmitField("Refuse the return")
