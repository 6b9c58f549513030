"""Forms of two-factor sign-in and passkeys (/account/security and the sign-in's code step)."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from app.forms import _strip, no_control_characters

PASSKEY_NAME_LENGTH = 60  # passkeys.name in the schema


def _code_field(label: str, missing: str, max_length: int, too_long: str) -> StringField:
    return StringField(
        label, filters=[_strip], validators=[DataRequired(missing), Length(max=max_length, message=too_long)]
    )


def _password_field(field_id: str, missing: str) -> PasswordField:
    # Distinct ids: both password forms share the security page.
    return PasswordField("Your password", id=field_id, validators=[InputRequired(missing), Length(max=128)])


class TwoFactorCodeForm(FlaskForm):
    """The sign-in's second step: a code from the app, or a recovery code."""

    code = _code_field(
        "Code",
        "Enter the 6-digit code from your authenticator app, or a recovery code.",
        64,
        "That is too long for a code.",
    )
    submit = SubmitField("Verify")


class TwoFactorConfirmForm(FlaskForm):
    """Turning two-factor sign-in on: the first code the app shows proves it has the secret."""

    code = _code_field(
        "Code from the app",
        "Enter the 6-digit code your authenticator app shows.",
        16,
        "Enter the 6 digits the app shows.",
    )
    submit = SubmitField("Turn on two-factor sign-in")


class TwoFactorDisableForm(FlaskForm):
    password = _password_field("disable-two-factor-password", "Enter your password to turn two-factor sign-in off.")
    submit = SubmitField("Turn off two-factor sign-in")


class RecoveryCodesForm(FlaskForm):
    password = _password_field("recovery-codes-password", "Enter your password to get new recovery codes.")
    submit = SubmitField("Get new recovery codes")


class PasskeyNameForm(FlaskForm):
    """The name of a passkey being added; posted as JSON by app/static/js/passkeys.js."""

    name = StringField(
        "Passkey name",
        id="passkey-name",
        filters=[_strip],
        validators=[
            DataRequired("Give the passkey a name, such as the device it is on."),
            Length(max=PASSKEY_NAME_LENGTH, message=f"Use at most {PASSKEY_NAME_LENGTH} characters."),
            no_control_characters,
        ],
    )
    submit = SubmitField("Add a passkey")
