"""The seller API's bodies as pydantic models: what a request may send and what an answer holds.

The views read every JSON body through these models (`read_body`), and app/openapi.py writes the
description's schemas from them, so what the description promises and what the API accepts are one
piece of code. Pydantic (v2, pydantic-core) was chosen over marshmallow + apispec: one class both
validates and emits JSON Schema 2020-12, which OpenAPI 3.1 uses as it is, with no plugin between.

Requests are validated strictly (a JSON 5 is not "5", true is not 1) and refuse unknown fields;
rules that need the database (a category exists, an attribute is the category's) stay in the views.
Each request model's `messages` says, per field, what a caller should send instead: the field
errors of a 422 read like the site's forms, not like pydantic.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar, Literal

from flask import current_app, request
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
)
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

from app import countries, problems
from app.forms_seller import MAX_PRICE, MAX_QUANTITY
from app.inputs import MAX_ID, InvalidInput, has_control_characters, parse_date
from app.models import admin_catalog, analytics, brand, catalog, product_image, tag, variant
from app.models.order import STATUS_NAMES

CURRENCY = "USD"
# A price the API takes: 0.01 to 1,000,000.00 (MAX_PRICE), in whole cents.
PRICE_PATTERN = r"^(?:0\.(?:0[1-9]|[1-9][0-9])|[1-9][0-9]{0,5}\.[0-9]{2}|1000000\.00)$"
# An amount the API writes: a total (quantity x unit price, up to 1,000,000 x 1,000,000.00) has up to 13 digits.
AMOUNT_PATTERN = r"^[0-9]{1,13}\.[0-9]{2}$"
TRACKING_PATTERN = r"^(?:[A-Za-z0-9][A-Za-z0-9 -]*)?$"
MAX_BULK_ITEMS = 1_000
MAX_CARRIER = 60
MAX_TRACKING = 60
MAX_PRODUCT_NAME = 200
MAX_DESCRIPTION = 5000
MAX_REASON = 500


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


# --- values --------------------------------------------------------------------------------------


def _price(value: Any) -> Decimal:
    """A price from "12.50" or {"amount": "12.50", "currency": "USD"}: 0.01 to MAX_PRICE, whole cents."""
    if isinstance(value, dict):
        if set(value) - {"amount", "currency"} or value.get("currency", CURRENCY) != CURRENCY:
            raise ValueError("not a price")
        value = value.get("amount")
    if not isinstance(value, str) or len(value) > 20:
        raise ValueError("not a price")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError("not a price") from None
    if not amount.is_finite() or not Decimal("0.01") <= amount <= MAX_PRICE:
        raise ValueError("not a price")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("no fractions of a cent")
    return amount.quantize(Decimal("0.01"))


Price = Annotated[
    Decimal,
    PlainValidator(_price),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "string", "pattern": PRICE_PATTERN, "examples": ["12.50"]},
                {
                    "type": "object",
                    "description": "A price as money: the currency may be left out.",
                    "additionalProperties": False,
                    "required": ["amount"],
                    "properties": {
                        "amount": {"type": "string", "pattern": PRICE_PATTERN},
                        "currency": {"type": "string", "const": CURRENCY},
                    },
                },
            ],
            "description": f"0.01 to {MAX_PRICE}, whole cents.",
        }
    ),
]


def _instant(value: Any) -> datetime:
    """An ISO 8601 date-time with its offset, in years 2000 to 9000."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("not a date-time")
    moment = datetime.fromisoformat(value)  # its ValueError is the field's error
    if moment.tzinfo is None or not 2000 <= moment.year <= 9000:
        raise ValueError("not a date-time with an offset")
    return moment


Instant = Annotated[datetime, PlainValidator(_instant), WithJsonSchema({"type": "string", "format": "date-time"})]


def _no_control_characters(value: str) -> str:
    if has_control_characters(value):
        raise ValueError("control characters")
    return value


def _printable(value: str) -> str:
    if not value.isprintable():
        raise ValueError("not printable")
    return value


def _with_letter_or_digit(value: str) -> str:
    if not any(character.isalnum() for character in value):
        raise ValueError("no letter or digit")
    return value


def text(minimum: int, maximum: int) -> Any:
    """Text of minimum..maximum characters (once trimmed, as RequestBody trims), no control characters."""
    return Annotated[str, Field(min_length=minimum, max_length=maximum), AfterValidator(_no_control_characters)]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Quantity = Annotated[int, Field(ge=0, le=MAX_QUANTITY)]


def _different(values: list[str]) -> list[str]:
    if len({value.casefold() for value in values}) != len(values):
        raise ValueError("two alike")
    return values


OptionList = Annotated[
    list[text(1, variant.MAX_VALUE_LENGTH)],
    Field(min_length=1, max_length=variant.MAX_OPTIONS),
    AfterValidator(_different),
]


def _attribute_value(value: Any) -> str | int:
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ValueError("not text or a number")


AttributeValue = Annotated[str | int, PlainValidator(_attribute_value), WithJsonSchema({"type": ["string", "integer"]})]
Attributes = Annotated[
    dict[str, AttributeValue],
    Field(description="Values of the attributes the category defines (GET /api/v1/categories), by key."),
]
BrandName = Annotated[str | None, Field(max_length=brand.MAX_NAME_LENGTH)]
Tags = Annotated[list[Annotated[str, Field(max_length=tag.MAX_TAG_LENGTH)]], Field(max_length=tag.MAX_TAGS)]


# --- requests ------------------------------------------------------------------------------------


class RequestBody(BaseModel):
    """A JSON object a request sends: strict types, no fields but its own, texts trimmed of surrounding spaces."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    noun: ClassVar[str] = "this request"  # "Not a field of {noun}."
    messages: ClassVar[dict[str, str]] = {}  # what to send instead, by field ("items.quantity": for every item)


def _field_name(location: tuple) -> tuple[str, str]:
    """("items", 3, "quantity") -> ("items[3].quantity", "items.quantity"): the field as shown, and as keyed."""
    shown, keyed = "", []
    for part in location:
        if isinstance(part, int):
            shown += f"[{part}]"
        else:
            shown += f".{part}" if shown else str(part)
            keyed.append(str(part))
    return shown, ".".join(keyed)


def field_errors(model: type[BaseModel], error: ValidationError) -> list[dict]:
    """A ValidationError as the API's field errors, one per field, in the words of the model's messages."""
    errors: dict[str, str] = {}
    for entry in error.errors(include_url=False, include_input=False):
        shown, keyed = _field_name(entry["loc"])
        if entry["type"] == "extra_forbidden":
            message = f"Not a field of {model.noun}."
        else:
            message = entry["msg"] if entry["msg"].endswith(".") else entry["msg"] + "."
            while keyed:  # the message of the field, or of the field holding it ("attributes" for attributes.colour)
                if keyed in model.messages:
                    message = model.messages[keyed]
                    break
                keyed = keyed.rpartition(".")[0]
        errors.setdefault(shown[:100], message)
    return [{"field": field, "message": message} for field, message in errors.items()]


MAX_FIELD_ERRORS = 50


def _check_described(part: str, model: type[BaseModel]) -> None:
    """LookupError unless `model` is the view's @operation's `part` ("body" or "query"): what the
    description promises is what the view reads."""
    described = getattr(current_app.view_functions.get(request.endpoint), "openapi_operation", None)
    if getattr(described, part, None) is not model:
        raise LookupError(f"{request.endpoint} reads a {model.__name__} but its @operation describes another {part}")


def read_body(model: type[RequestBody]):
    """The request's JSON body validated by `model`: 400 if it is not a JSON object, 422 naming each
    field that cannot be used. `model` must be the body the view's @operation describes."""
    _check_described("body", model)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise problems.Problem(400, "Send a JSON object, with Content-Type: application/json.")
    try:
        return model.model_validate(body)
    except ValidationError as invalid:
        errors = field_errors(model, invalid)[:MAX_FIELD_ERRORS]
        raise problems.Problem(422, "Some fields cannot be used.", errors) from None


PRICE_MESSAGE = f'A decimal string from 0.01 to {MAX_PRICE}, whole cents, e.g. "12.50".'
QUANTITY_MESSAGE = f"A whole number from 0 to {MAX_QUANTITY}."


class StockItem(RequestBody):
    product_id: Id
    quantity: Quantity
    expected_quantity: Quantity | None = Field(
        None, description="The stock you read: 409 if it moved since (null or left out: no check)."
    )


class StockChanges(RequestBody):
    noun: ClassVar[str] = "a bulk stock change"
    messages: ClassVar[dict[str, str]] = {
        "items": f"1 to {MAX_BULK_ITEMS} objects with product_id, quantity, expected_quantity.",
        "items.product_id": "The id of a product you offer, once.",
        "items.quantity": QUANTITY_MESSAGE,
        "items.expected_quantity": "The stock you read, or leave it out.",
    }
    items: Annotated[list[StockItem], Field(min_length=1, max_length=MAX_BULK_ITEMS)]


class OfferChange(RequestBody):
    """Name at least one field (If-Match: the offer's ETag)."""

    noun: ClassVar[str] = "an offer you can change"
    messages: ClassVar[dict[str, str]] = {
        "price": PRICE_MESSAGE,
        "quantity": QUANTITY_MESSAGE,
        "active": "true or false.",
    }
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})
    price: Price = None
    quantity: Quantity = None
    active: bool = None


class SaleRequest(RequestBody):
    noun: ClassVar[str] = "a sale"
    messages: ClassVar[dict[str, str]] = {
        "product_id": "The id of a product you offer.",
        "quantity": f"A whole number from 1 to {MAX_QUANTITY}.",
        "unit_price": PRICE_MESSAGE,
    }
    product_id: Id
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
    unit_price: Price | None = Field(None, description="Default: the offer's price.")


class Shipment(RequestBody):
    noun: ClassVar[str] = "a shipment"
    messages: ClassVar[dict[str, str]] = {
        "carrier": f"The carrier's name, like UPS: 1 to {MAX_CARRIER} characters.",
        "tracking_number": f"Letters, digits, spaces and dashes, up to {MAX_TRACKING}; or leave it out.",
    }
    carrier: Annotated[text(1, MAX_CARRIER), AfterValidator(_printable), Field(examples=["UPS"])]
    tracking_number: Annotated[str, Field(max_length=MAX_TRACKING, pattern=TRACKING_PATTERN)] | None = None


class NewOffer(RequestBody):
    noun: ClassVar[str] = "a new offer"
    messages: ClassVar[dict[str, str]] = {
        "product_id": "The id of a product of the catalog.",
        "price": PRICE_MESSAGE,
        "quantity": QUANTITY_MESSAGE,
    }
    product_id: Id
    price: Price
    quantity: Quantity


class SaleStart(RequestBody):
    noun: ClassVar[str] = "a sale"
    messages: ClassVar[dict[str, str]] = {
        "sale_price": f'A decimal string from 0.01 to {MAX_PRICE}, whole cents, e.g. "9.99".',
        "ends_at": "A date and time with its offset, e.g. 2027-01-31T18:00:00Z.",
    }
    sale_price: Price
    ends_at: Instant | None = None


class ReturnAcceptance(RequestBody):
    noun: ClassVar[str] = "a return's acceptance"
    messages: ClassVar[dict[str, str]] = {"restock": "true if the item came back sellable, else false."}
    restock: bool = Field(description="The item came back sellable.")


class ReturnRefusal(RequestBody):
    noun: ClassVar[str] = "a return's refusal"
    messages: ClassVar[dict[str, str]] = {"reason": f"Tell the buyer why: 1 to {MAX_REASON} characters."}
    reason: text(1, MAX_REASON)


CategoryName = Annotated[text(1, admin_catalog.MAX_NAME), AfterValidator(_with_letter_or_digit)]
CATEGORY_NAME_MESSAGE = (
    f"Text of 1 to {admin_catalog.MAX_NAME} characters, without control characters, with a letter or a digit."
)


class NewCategory(RequestBody):
    noun: ClassVar[str] = "a category"
    messages: ClassVar[dict[str, str]] = {"department_id": "The id of a department.", "name": CATEGORY_NAME_MESSAGE}
    department_id: Id
    name: CategoryName


class CategoryChange(RequestBody):
    noun: ClassVar[str] = "a category you can change"
    messages: ClassVar[dict[str, str]] = {"name": CATEGORY_NAME_MESSAGE}
    name: CategoryName


PRODUCT_MESSAGES = {
    "name": f"Text of 1 to {MAX_PRODUCT_NAME} characters, without control characters.",
    "description": f"Text of up to {MAX_DESCRIPTION} characters, without control characters.",
    "category_id": "The id of a category (GET /api/v1/categories).",
    "brand": f"A brand's name of up to {brand.MAX_NAME_LENGTH} characters, or null for none.",
    "tags": f"A list of up to {tag.MAX_TAGS} tags of up to {tag.MAX_TAG_LENGTH} characters, each without commas.",
    "attributes": "An object of attribute keys and text or number values.",
}
OPTIONS_MESSAGE = f"A list of 1 to {variant.MAX_OPTIONS} different texts of 1 to {variant.MAX_VALUE_LENGTH} characters."


class ProductChange(RequestBody):
    """Name at least one field (If-Match: the product's ETag). Brand, tags and attributes are checked
    as the seller's form checks them."""

    noun: ClassVar[str] = "a product you can change"
    messages: ClassVar[dict[str, str]] = PRODUCT_MESSAGES
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})
    name: text(1, MAX_PRODUCT_NAME) = None
    description: text(0, MAX_DESCRIPTION) | None = None
    category_id: Id = None
    brand: BrandName = None
    tags: Tags = None
    attributes: Attributes = None


class NewProduct(ProductChange):
    """With price and quantity: for sale at once, as your first offer. With options: add its variants
    next, then offer them."""

    noun: ClassVar[str] = "a new product"
    messages: ClassVar[dict[str, str]] = PRODUCT_MESSAGES | {
        "price": PRICE_MESSAGE,
        "quantity": QUANTITY_MESSAGE,
        "options": OPTIONS_MESSAGE,
    }
    model_config = ConfigDict(json_schema_extra={})
    name: text(1, MAX_PRODUCT_NAME)
    category_id: Id
    price: Price = None
    quantity: Quantity = None
    options: OptionList = Field(None, description="e.g. Colour, Size: the product is offered as its variants.")


class NewVariant(RequestBody):
    noun: ClassVar[str] = "a variant"
    messages: ClassVar[dict[str, str]] = {"option_values": OPTIONS_MESSAGE}
    option_values: OptionList = Field(description="One value per option, in order.")


class NewImage(BaseModel):
    """multipart/form-data: the picture and its alt text (the view reads the form's parts)."""

    image: bytes = Field(json_schema_extra={"format": "binary"}, description="PNG, JPEG or WebP, up to 5 MB.")
    alt_text: Annotated[str, Field(max_length=product_image.MAX_ALT_TEXT)] = ""


REQUEST_MODELS = [
    StockChanges,
    OfferChange,
    SaleRequest,
    Shipment,
    NewOffer,
    SaleStart,
    ReturnAcceptance,
    ReturnRefusal,
    NewCategory,
    CategoryChange,
    ProductChange,
    NewProduct,
    NewVariant,
    NewImage,
]


# --- answers -------------------------------------------------------------------------------------
# The views write these as dicts (a thousand offers through model instances would cost more than the
# database does); tests/test_api_schemathesis.py checks every answer against these schemas.

Timestamp = datetime
OptionalTimestamp = datetime | None
Uri = Annotated[str, Field(json_schema_extra={"format": "uri"})]


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] = None


class Money(BaseModel):
    amount: Annotated[str, Field(pattern=AMOUNT_PATTERN, examples=["12.50"])]
    currency: Literal["USD"]


class Offer(BaseModel):
    product_id: int
    product_name: str
    price: Money
    sale_price: Money | None
    sale_ends_at: OptionalTimestamp
    quantity: Annotated[int, Field(ge=0)]
    active: bool
    created_at: Timestamp
    updated_at: Timestamp
    url: Uri


class StockResult(BaseModel):
    updated: int = Field(description="Offers named.")
    changed: int = Field(description="Offers whose stock moved (each with an inventory event).")


class Sale(BaseModel):
    id: int
    product_id: int
    quantity: int
    unit_price: Money
    total: Money
    created_at: Timestamp


class ChannelFigures(BaseModel):
    revenue: Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$")]
    units: int
    orders: int


class Channels(BaseModel):
    """The period's revenue, units and orders of each channel (they add up to the totals)."""

    online: ChannelFigures
    offline: ChannelFigures


class SalesReport(BaseModel):
    """The table of GET /api/seller/sales (README, 'Sales API'), of the lines the filters leave: order
    lines (channel online) and offline sales recorded with POST /api/v1/sales (channel offline; each one
    order, no buyer). Totals and channels follow the filters."""

    model_config = ConfigDict(populate_by_name=True)
    group_by: str
    from_: date = Field(alias="from")
    to: date
    time_zone: str
    currency: str
    totals: dict[str, Any]
    channels: Channels
    columns: list[str]
    rows: list[dict[str, Any]]


class CategoryEntry(BaseModel):
    id: int
    name: str
    slug: str


class Department(BaseModel):
    id: int
    name: str
    slug: str
    categories: list[CategoryEntry]


class Departments(BaseModel):
    items: list[Department]


class Category(BaseModel):
    id: int
    name: str
    slug: str = Field(description="Never changes: links to the category keep working.")
    department_id: int


class Product(BaseModel):
    id: int
    name: str
    category_id: int
    min_price: Money | None
    offer_count: int
    total_stock: int
    rating_avg: str | None
    rating_count: int
    units_sold: int
    created_at: Timestamp


class Variant(BaseModel):
    id: int = Field(description="Offer it with POST /api/v1/offers.")
    option_values: list[str]
    min_price: Money | None
    offer_count: int
    total_stock: int


class GalleryImage(BaseModel):
    id: int
    position: int
    alt_text: str
    url: str | None = Field(description="null for a drawn demo picture.")
    thumbnail_url: str | None


class ProductDetail(BaseModel):
    id: int
    name: str
    description: str
    category_id: int
    brand: str | None
    tags: list[str]
    attributes: dict[str, str]
    parent_id: int | None = Field(description="On a variant: its product.")
    options: list[str] = Field(description="e.g. Colour, Size.")
    variants: list[Variant]
    images: list[GalleryImage]
    min_price: Money | None
    max_price: Money | None
    offer_count: int
    total_stock: int
    rating_avg: str | None
    rating_count: int
    created_by_you: bool = Field(description="Only a product's creator may change it.")
    created_at: Timestamp
    page_url: Uri


class OrderLine(BaseModel):
    """One of your lines of a purchase (never another seller's lines or the purchase's total)."""

    id: int
    purchase_id: int
    product_id: int
    product_name: str
    quantity: int
    unit_price: Money
    line_total: Money
    status: Literal[tuple(STATUS_NAMES)]
    buyer_name: str
    ship_to: str | None = Field(description="The address the purchase is sent to.")
    note: str | None = Field(description="The buyer's note.")
    ordered_at: Timestamp
    shipped_at: OptionalTimestamp
    carrier: str | None
    tracking_number: str | None
    delivered_at: OptionalTimestamp
    cancelled_at: OptionalTimestamp
    refunded_at: OptionalTimestamp


class InventoryEvent(BaseModel):
    id: int
    product_id: int
    delta: int = Field(description="The change of stock: negative for a sale.")
    quantity_after: int
    reason: str = Field(examples=["initial", "restock", "adjustment", "sale", "cancellation", "return", "offline sale"])
    order_id: int | None = Field(description="The order line that moved the stock.")
    created_at: Timestamp


NextLink = Annotated[str | None, Field(description="The next page's URL (also in the Link header); null on the last.")]


class OfferPage(BaseModel):
    items: list[Offer]
    next: NextLink


class OrderLinePage(BaseModel):
    items: list[OrderLine]
    next: NextLink


class InventoryEventPage(BaseModel):
    items: list[InventoryEvent]
    next: NextLink


class ProductPage(BaseModel):
    """A page of products (24)."""

    items: list[Product]
    total: int
    total_is_estimate: bool
    corrected_query: str | None
    notes: list[str]
    next: NextLink


ANSWER_MODELS = [
    Problem,
    Money,
    Offer,
    OfferPage,
    StockResult,
    Sale,
    SalesReport,
    Departments,
    Category,
    ProductPage,
    ProductDetail,
    OrderLine,
    OrderLinePage,
    InventoryEventPage,
]


# --- query parameters ----------------------------------------------------------------------------
# Each field is one parameter of the description, and the views read their parameters through these
# models (`read_query`). A query string holds text: numbers are digits only ("+5", "5.0" and "1_0" are
# not numbers here, as they are not on the site's pages).

MAX_PAGE_SIZE = 200
AMOUNT_PARAMETER = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"  # 0 to 9,999,999,999.99: numeric(12, 2)'s largest line total


def query_integer(minimum: int, maximum: int) -> Any:
    """A whole number minimum..maximum written in ASCII digits alone. (inputs.whole_number, which the
    pages use, also takes a sign and surrounding spaces; a documented integer parameter does not.)"""

    def parse(value: Any) -> int:
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
            value = int(value)
        if type(value) is not int or not minimum <= value <= maximum:
            raise PydanticCustomError("whole_number", "Not a whole number from {minimum} to {maximum}", locals())
        return value

    return Annotated[
        int, PlainValidator(parse), WithJsonSchema({"type": "integer", "minimum": minimum, "maximum": maximum})
    ]


def _query_date(value: Any, info: ValidationInfo) -> date:
    try:
        return parse_date(value if isinstance(value, str) else "", info.field_name.rstrip("_"))
    except InvalidInput as invalid:
        raise PydanticCustomError("date", str(invalid)) from None


def _statuses(value: Any) -> tuple[str, ...]:
    """Comma-separated order line statuses, each at most once: as a tuple."""
    chosen = tuple(dict.fromkeys(part.strip() for part in value.split(","))) if isinstance(value, str) else ()
    if not chosen or any(part not in STATUS_NAMES for part in chosen):
        raise PydanticCustomError("statuses", "Not a list of order line statuses")
    return chosen


def _country(value: str) -> str:
    if value.upper() not in countries.NAMES:
        raise PydanticCustomError("country", "Not a country")
    return value.upper()


QueryId = query_integer(1, MAX_ID)
QueryDate = Annotated[date, PlainValidator(_query_date), WithJsonSchema({"type": "string", "format": "date"})]
Statuses = Annotated[
    tuple[str, ...],
    PlainValidator(_statuses),
    WithJsonSchema({"type": "string", "examples": ["delivered", "shipped,delivered"]}),
]
Amount = Annotated[str, Field(pattern=AMOUNT_PARAMETER), AfterValidator(Decimal)]


class QueryParameters(BaseModel):
    """A request's query parameters; those a model does not name are left alone (as the pages do)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    noun: ClassVar[str] = "this request"
    messages: ClassVar[dict[str, str]] = {}


class PageQuery(QueryParameters):
    messages: ClassVar[dict[str, str]] = {"limit": f"A whole number 1–{MAX_PAGE_SIZE}."}
    limit: query_integer(1, MAX_PAGE_SIZE) = None
    cursor: str = Field(None, description="From a `next` link.")


class OrdersQuery(PageQuery):
    messages: ClassVar[dict[str, str]] = PageQuery.messages | {"status": "One of " + ", ".join(STATUS_NAMES) + "."}
    status: Literal[tuple(STATUS_NAMES)] = None
    from_: QueryDate = Field(None, alias="from", description="Ordered on or after this day (your time zone).")
    to: QueryDate = Field(None, description="Ordered on or before this day (your time zone).")


class EventsQuery(PageQuery):
    messages: ClassVar[dict[str, str]] = PageQuery.messages | {"product_id": "A product's id."}
    product_id: QueryId = Field(None, description="One product's events: 404 if you never offered it.")


class SalesQuery(QueryParameters):
    """Filters combine (AND). Without `status`, cancelled lines are left out. `status` and
    `buyer_country` exist only for online order lines: either one leaves offline sales out."""

    messages: ClassVar[dict[str, str]] = {
        "product_id": "A whole number from 1 (an id).",
        "category_id": "A whole number from 1 (an id).",
        "status": "One or more of " + ", ".join(STATUS_NAMES) + ", separated by commas.",
        "min_amount": "A decimal string from 0 to 9999999999.99, at most two decimals.",
        "max_amount": "A decimal string from 0 to 9999999999.99, at most two decimals.",
        "buyer_country": "An ISO 3166-1 alpha-2 country code, such as DE.",
        "channel": "online, offline, or online,offline.",
    }
    group_by: str = Field("month", description="As GET /api/seller/sales: " + ", ".join(analytics.GROUPINGS) + ".")
    # From and to are the owner's local days, checked with the grouping (analytics.parse_period).
    from_: str = Field(None, alias="from", json_schema_extra={"format": "date"})
    to: str = Field(None, json_schema_extra={"format": "date"})
    product_id: QueryId = Field(
        None, description="A product you offer (or offered); its variants' sales count with it. 404 if not."
    )
    category_id: QueryId = Field(
        None, description="Sales of products in this category (none sold: empty; no such category: 404)."
    )
    status: Statuses = Field(
        None, description="Order line statuses, comma-separated: " + ", ".join(STATUS_NAMES) + ". Online only."
    )
    min_amount: Amount = Field(None, description="Lines (or offline sales) whose total is at least this, in USD.")
    max_amount: Amount = Field(None, description="Lines (or offline sales) whose total is at most this, in USD.")
    buyer_country: Annotated[str, Field(pattern="^[A-Za-z]{2}$"), AfterValidator(_country)] = Field(
        None,
        examples=["DE"],
        description="ISO 3166-1 alpha-2 code of the country the purchase was delivered to. Online only; "
        "purchases whose address names no known country never match.",
    )
    channel: Literal["online", "offline", "online,offline"] = Field(
        None, description="online: order lines; offline: sales POSTed to /api/v1/sales (default both)."
    )


class ProductsQuery(QueryParameters):
    """The parameters of the catalog's /products page, which reads them as the page does
    (catalog.read_criteria: a value it cannot use is left out, with a note)."""

    q: str = Field(None, description="Words, as in the site's search box.")
    department: str = Field(None, description="A department's slug.")
    category: str = Field(None, description="A category's slug.")
    min_price: str = None
    max_price: str = None
    min_rating: str = None
    in_stock: str = None
    include_unavailable: str = None
    sort: str = Field(None, examples=list(catalog.SORTS))
    cursor: str = Field(None, description="From a `next` link.")


def read_query(model: type[QueryParameters]):
    """The request's query parameters validated by `model` (the view's @operation's query); 400 naming
    each one that cannot be used."""
    _check_described("query", model)
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as invalid:
        errors = field_errors(model, invalid)[:MAX_FIELD_ERRORS]
        raise problems.Problem(400, "Bad query parameter.", errors) from None
