"""Forms of promotions: coupons (a seller's, the cart's "Apply coupon"), points at checkout and sale prices."""

from datetime import UTC, datetime
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.forms import MoneyField, amount_between
from app.inputs import EARLIEST_DATE, LATEST_DATE, MAX_ID, WholeNumberField, no_control_characters, whole_number
from app.inputs import strip as _strip
from app.models import coupon, seller_product
from app.templating import user_time_zone

MAX_PRICE = Decimal("1000000.00")
MAX_POINTS = 100_000_000  # a million's worth: more than any balance may hold
BAD_CODE = "Enter a coupon code: 3 to 32 letters, digits, - or _, with no spaces."
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def _normalize(value):
    return coupon.normalize_code(value) if isinstance(value, str) else value


def well_formed_code(form, field) -> None:
    """Validator: a coupon code as the schema allows it (SQL or HTML in it is just a bad code)."""
    if field.data and not coupon.is_well_formed(field.data):
        raise ValidationError(BAD_CODE)


def code_field(label: str = "Coupon code", **kwargs) -> StringField:
    return StringField(label, filters=[_normalize], validators=[InputRequired(BAD_CODE), well_formed_code], **kwargs)


class LocalDateTimeField(StringField):
    """A date and time as <input type="datetime-local"> sends it, in the user's time zone; data is
    an aware UTC datetime, or None when left empty. Years keep to the inputs' date range."""

    def process_formdata(self, valuelist):
        self.data = None
        self.raw = (valuelist[0] if valuelist else "").strip()
        if not self.raw:
            return
        try:
            local = datetime.strptime(self.raw[:16], LOCAL_FORMAT)
        except ValueError:
            raise ValueError("Enter a date and time like 2026-12-24 18:00.") from None
        if len(self.raw) > 16 or not EARLIEST_DATE <= local.date() <= LATEST_DATE:
            raise ValueError(f"Enter a date and time from {EARLIEST_DATE.year} to {LATEST_DATE.year}.")
        self.data = local.replace(tzinfo=user_time_zone()).astimezone(UTC)

    def _value(self):
        if getattr(self, "raw", None):
            return self.raw
        return self.data.astimezone(user_time_zone()).strftime(LOCAL_FORMAT) if self.data else ""


class CouponForm(FlaskForm):
    """A seller's new coupon (the platform's are made with ./setup.sh coupon)."""

    SCOPES = [
        SelectChoice("all", "All my items"),
        SelectChoice("category", "One category"),
        SelectChoice("products", "Listed products"),
    ]

    code = code_field("Code", description="Buyers type it at checkout; letters are not case-sensitive.")
    description = StringField(
        "Description (optional)",
        filters=[_strip],
        validators=[Length(max=200, message="Keep the description under 200 characters."), no_control_characters],
    )
    kind = SelectField(
        "Discount", choices=[SelectChoice("percent", "Percent off"), SelectChoice("amount", "Amount off")]
    )
    value = MoneyField("Percent or amount", validators=[InputRequired("Enter how much the coupon takes off.")])
    min_spend = MoneyField(
        "Minimum spend (optional)",
        validators=[Optional(), amount_between(Decimal("0.00"), MAX_PRICE)],
        description="Spent on the items the coupon covers.",
    )
    scope = SelectField("Covers", choices=SCOPES)
    category_id = SelectField("Category", coerce=int, validators=[Optional()])
    product_ids = StringField(
        "Product numbers",
        filters=[_strip],
        validators=[Length(max=1000)],
        description="The numbers in your products' addresses (/products/123), separated by commas.",
    )
    starts_at = LocalDateTimeField("Starts (optional, else now)")
    ends_at = LocalDateTimeField("Ends (optional)")
    max_uses = WholeNumberField(
        "Total uses (optional)", minimum=1, maximum=1_000_000, validators=[Optional()], description="Empty: no limit."
    )
    per_buyer_limit = WholeNumberField(
        "Uses per buyer", minimum=1, maximum=1000, default=1, validators=[InputRequired("Enter a number from 1.")]
    )
    for_thanks = BooleanField("Thank-you coupon: give it to each buyer after they buy from me; only they can use it")
    submit = SubmitField("Create coupon")

    def validate_value(self, field) -> None:
        if field.data is None:
            return
        if self.kind.data == "percent" and not Decimal("0") < field.data <= Decimal("100"):
            raise ValidationError("A percentage must be more than 0 and at most 100.")
        if self.kind.data == "amount" and not Decimal("0.01") <= field.data <= MAX_PRICE:
            raise ValidationError(f"An amount must be from $0.01 to ${MAX_PRICE:,.2f}.")

    def validate_ends_at(self, field) -> None:
        if field.data is None:
            return
        starts = self.starts_at.data or datetime.now(UTC)
        if field.data <= starts:
            raise ValidationError("The end must come after the start.")

    def validate_category_id(self, field) -> None:
        if self.scope.data == "category" and not field.data:
            raise ValidationError("Choose the category the coupon covers.")

    def validate_product_ids(self, field) -> None:
        if self.scope.data != "products":
            return
        parts = [part.strip() for part in (field.data or "").split(",") if part.strip()]
        numbers = [whole_number(part, 1, MAX_ID) for part in parts]
        if not numbers or None in numbers:
            raise ValidationError("Enter product numbers separated by commas, like 12, 40, 7.")
        if len(set(numbers)) > 50:
            raise ValidationError("List at most 50 products.")
        self.product_id_list = sorted(set(numbers))

    def coupon_fields(self) -> dict:
        """The form as coupon.create_coupon's keyword arguments."""
        return {
            "description": self.description.data or "",
            "percent_off": self.value.data if self.kind.data == "percent" else None,
            "amount_off": self.value.data if self.kind.data == "amount" else None,
            "min_spend": self.min_spend.data or Decimal("0.00"),
            "scope_category_id": self.category_id.data if self.scope.data == "category" else None,
            "scope_product_ids": getattr(self, "product_id_list", None) if self.scope.data == "products" else None,
            "starts_at": self.starts_at.data,
            "ends_at": self.ends_at.data,
            "max_uses": self.max_uses.data,
            "per_buyer_limit": self.per_buyer_limit.data,
            "for_thanks": self.for_thanks.data,
        }


class PlatformCouponForm(CouponForm):
    """The platform's new coupon, in the console: it may also cover everything, or one seller's offers."""

    SCOPES = [
        SelectChoice("all", "Everything"),
        SelectChoice("seller", "One seller's offers"),
        SelectChoice("category", "One category"),
        SelectChoice("products", "Listed products"),
    ]

    scope = SelectField("Covers", choices=SCOPES)
    # No Optional(): it would stop validate_seller_id, which asks for it when the scope is a seller.
    seller_id = WholeNumberField("Seller (user id)", minimum=1, maximum=MAX_ID, description="When it covers a seller.")
    for_thanks = BooleanField("Thank-you coupon: give it to each buyer after any purchase; only they can use it")
    submit = SubmitField("Create platform coupon")

    def validate_seller_id(self, field) -> None:
        if self.scope.data == "seller" and not field.data:
            raise ValidationError("Enter the user id of the seller whose offers it covers.")

    def coupon_fields(self) -> dict:
        seller_id = self.seller_id.data if self.scope.data == "seller" else None
        return super().coupon_fields() | {"scope_seller_id": seller_id}


def new_coupon_form(form_class: type[CouponForm] = CouponForm, **kwargs) -> CouponForm:
    """A coupon form with its category choices (every category, by department)."""
    form = form_class(**kwargs)
    form.category_id.choices = [SelectChoice(0, "Choose a category")] + [
        SelectChoice(row["id"], f"{row['department_name']}: {row['name']}")
        for row in seller_product.list_category_choices()
    ]
    return form


class ApplyCouponForm(FlaskForm):
    code = code_field()
    submit = SubmitField("Apply coupon")


class RemoveCouponForm(FlaskForm):
    code = HiddenField(filters=[_normalize], validators=[InputRequired(BAD_CODE), well_formed_code])


def points_field(label: str = "Points to use", **kwargs) -> WholeNumberField:
    return WholeNumberField(
        label,
        minimum=0,
        maximum=MAX_POINTS,
        message=f"Enter a whole number of points from 0 to {MAX_POINTS:,}.",
        **kwargs,
    )


class UsePointsForm(FlaskForm):
    points = points_field(validators=[InputRequired("Enter how many points to use (0 for none).")])
    submit = SubmitField("Use points")


class CouponCodesField(HiddenField):
    """The codes applied on the cart page, sent back with "Place order": space-separated, each well
    formed, at most MAX_COUPONS_PER_PURCHASE; data is the list (empty when none)."""

    def process_formdata(self, valuelist):
        self.data = []
        codes = [coupon.normalize_code(code) for code in (valuelist[0] if valuelist else "").split()]
        if len(codes) > coupon.MAX_COUPONS_PER_PURCHASE or not all(coupon.is_well_formed(code) for code in codes):
            raise ValueError("This checkout form is not valid. Reload your cart.")
        self.data = list(dict.fromkeys(codes))

    def _value(self):
        return " ".join(self.data or [])


class SaleForm(FlaskForm):
    """Put an offer on sale, below its usual price, until a time or until ended."""

    sale_price = MoneyField("Sale price", validators=[amount_between(Decimal("0.01"), MAX_PRICE)])
    ends_at = LocalDateTimeField("Sale ends (optional)")
    submit = SubmitField("Start sale")

    def validate_ends_at(self, field) -> None:
        if field.data is not None and field.data <= datetime.now(UTC):
            raise ValidationError("The sale's end must be in the future.")
