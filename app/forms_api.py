"""Forms of the API token page (/account/tokens)."""

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.inputs import no_control_characters, strip

SCOPE_CHOICES = [
    SelectChoice("read", "read — read offers, sales and the catalog"),
    SelectChoice("listings", "listings — change offers: price, stock, active"),
    SelectChoice("orders", "orders — record offline sales"),
    SelectChoice("admin", "admin — administrators only"),
]
EXPIRY_CHOICES = [
    SelectChoice("7", "7 days"),
    SelectChoice("30", "30 days"),
    SelectChoice("90", "90 days"),
    SelectChoice("365", "1 year"),
]


class TokenForm(FlaskForm):
    name = StringField(
        "Name",
        filters=[strip],
        validators=[
            DataRequired("Name the token, e.g. the tool that uses it."),
            Length(max=100),
            no_control_characters,
        ],
    )
    scopes = SelectMultipleField(
        "Scopes",
        choices=SCOPE_CHOICES,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[DataRequired("Choose at least one scope.")],
    )
    expires_in_days = SelectField("Expires after", choices=EXPIRY_CHOICES, default="90")
    submit = SubmitField("Create token")
