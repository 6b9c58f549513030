"""Forms of the seller center: offers, stock, products with images, fulfilment, threshold."""

from decimal import Decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import Field, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from app.forms import MoneyField, amount_between
from app.inputs import (
    MAX_ID,
    STALE_FORM,
    InvalidInput,
    WholeNumberField,
    id_field,
    no_control_characters,
    whole_number,
)
from app.inputs import strip as _strip
from app.models.brand import clean_brand_name
from app.models.tag import MAX_TAGS, parse_tags

MAX_PRICE = Decimal("1000000.00")
MAX_QUANTITY = 1_000_000


def price_field(label: str = "Price", **kwargs) -> MoneyField:
    return MoneyField(label, validators=[amount_between(Decimal("0.01"), MAX_PRICE)], **kwargs)


def quantity_field(label: str = "Quantity in stock", **kwargs) -> WholeNumberField:
    return WholeNumberField(
        label,
        minimum=0,
        maximum=MAX_QUANTITY,
        message="Enter a whole number from 0 to 1,000,000.",
        validators=[InputRequired("Enter how many you have in stock.")],
        **kwargs,
    )


class OfferForm(FlaskForm):
    """Offer an existing product: the product, a price and a quantity."""

    product_id = id_field()
    price = price_field()
    quantity = quantity_field()
    submit = SubmitField("Start selling")


class OfferEditForm(FlaskForm):
    """Change an offer's price and stock. `expected_quantity` is the stock the seller saw:
    a stock change is refused if checkouts changed it since (optimistic check)."""

    price = price_field()
    quantity = quantity_field("Stock")
    expected_quantity = WholeNumberField(
        widget=HiddenInput(),
        minimum=0,
        maximum=MAX_QUANTITY,
        message=STALE_FORM,
        validators=[InputRequired(STALE_FORM)],
    )
    submit = SubmitField("Save")


class LabelsForm(FlaskForm):
    """A product's brand and tags (app/models/brand.py, tag.py), in the seller's and the console's forms."""

    brand = StringField("Brand", validators=[Optional(), no_control_characters])
    tags = StringField(f"Tags (up to {MAX_TAGS}, separated by commas)", validators=[Optional(), no_control_characters])

    def validate_brand(self, field) -> None:
        _checked(clean_brand_name, field)

    def validate_tags(self, field) -> None:
        _checked(parse_tags, field)

    def labels(self) -> dict:
        """The brand (None for none) and the tags, normalised; call after validation."""
        return {"brand": clean_brand_name(self.brand.data), "tags": parse_tags(self.tags.data)}


class ProductForm(LabelsForm):
    """A product's own details, as its creator edits them."""

    name = StringField(
        "Product name",
        filters=[_strip],
        validators=[DataRequired("Enter the product's name."), Length(max=200), no_control_characters],
    )
    description = TextAreaField(
        "Description",
        filters=[_strip],
        validators=[Length(max=5000, message="Keep the description under 5,000 characters."), no_control_characters],
    )
    category_id = SelectField("Category", coerce=int, validators=[InputRequired("Choose a category.")])
    image = FileField("Image")
    submit = SubmitField("Save product")


def _checked(parse, field) -> None:
    """Run a parser of app.models on the field's text; its InvalidInput is the field's error."""
    try:
        parse(field.data)
    except InvalidInput as problem:
        raise ValidationError(str(problem)) from problem


class NewProductForm(ProductForm):
    """A new product and the creator's first offer of it."""

    price = price_field()
    quantity = quantity_field()
    submit = SubmitField("Create product")


class ThresholdForm(FlaskForm):
    low_stock_threshold = WholeNumberField(
        "Low-stock threshold",
        minimum=0,
        maximum=100_000,
        message="Enter a whole number from 0 to 100,000.",
        validators=[InputRequired("Enter a number.")],
    )
    submit = SubmitField("Save threshold")


class IdListField(Field):
    """Every value sent under this name, as positive whole numbers (checkboxes)."""

    def process_formdata(self, valuelist):
        self.data = []
        for raw in valuelist:
            number = whole_number(raw, 1, MAX_ID)
            if number is None:
                raise ValueError("That selection is not valid. Reload the page and try again.")
            self.data.append(number)

    def _value(self):
        return ""


class FulfilForm(FlaskForm):
    """Mark order lines fulfilled: the checked ones, or the one whose button was pressed."""

    MAX_LINES = 100

    order_ids = IdListField()
    only = WholeNumberField(minimum=1, maximum=MAX_ID, message=STALE_FORM, validators=[Optional()])
    submit = SubmitField("Mark selected fulfilled")

    def selected_ids(self) -> list[int]:
        """The line of the pressed row button, else every checked line."""
        return [self.only.data] if self.only.data else sorted(set(self.order_ids.data or []))

    def validate_order_ids(self, field):
        if not self.only.data and not field.data:
            raise ValidationError("Select at least one order line to mark fulfilled.")
        if len(field.data or []) > self.MAX_LINES:
            raise ValidationError(f"Mark at most {self.MAX_LINES} lines at a time.")


def alt_text_field() -> StringField:
    return StringField(
        "Alt text",
        filters=[_strip],
        validators=[
            Length(max=250, message="Keep the alt text under 250 characters."),
            no_control_characters,
        ],
    )


class GalleryImageForm(FlaskForm):
    """One more picture for a product's gallery (product_image.add_image)."""

    image = FileField("Image", validators=[FileRequired("Choose an image file to add.")])
    alt_text = alt_text_field()
    submit = SubmitField("Add picture")


class AltTextForm(FlaskForm):
    """A gallery picture's alt text: what it shows, for someone who cannot see it."""

    alt_text = alt_text_field()
    submit = SubmitField("Save alt text")


class GalleryOrderForm(FlaskForm):
    """The gallery's pictures in their new order: entry ids, comma-separated (the page writes them)."""

    order = StringField("Order", validators=[DataRequired(STALE_FORM), Length(max=200, message=STALE_FORM)])
