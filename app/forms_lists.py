"""Forms of the shopper lists (issue 17): the wishlist, recently viewed, the cart's selection."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget

from app.inputs import id_field


class WishlistItemForm(FlaskForm):
    """A heart (add or remove), "Move to cart" and "Remove" on the wishlist: one product."""

    product_id = id_field()


class WishlistAlertsForm(FlaskForm):
    """The owner's opt-in to an e-mail when a wishlisted product gets cheaper or is back in stock."""

    alerts = BooleanField("E-mail me when something on my wishlist gets cheaper or is back in stock")
    submit = SubmitField("Save")


class CartSelectionForm(FlaskForm):
    """The cart lines to check out now, each "seller_id-product_id"; the page lists the choices."""

    lines = SelectMultipleField(
        "Check out now",
        choices=[],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=False,  # checked against the buyer's own lines by the model, in SQL
    )
