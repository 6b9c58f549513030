"""Forms of the e-mail based account features: codes, password reset, change of e-mail."""

from flask import flash
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Regexp

from app.forms import PasswordChangeForm, email_field
from app.inputs import strip
from app.models.rate_limit import wait_in_words


def _without_spaces(value):
    """People copy codes as "123 456" or with a trailing space."""
    return "".join(value.split()) if isinstance(value, str) else value


class CodeForm(FlaskForm):
    code = StringField(
        "6-digit code",
        filters=[_without_spaces],
        validators=[
            InputRequired("Enter the 6-digit code from the e-mail."),
            # ASCII digits only: \d would accept other scripts' digits.
            Regexp(r"^[0-9]{6}$", message="The code is 6 digits, like 042917."),
        ],
    )
    submit = SubmitField("Confirm")

    def refuse(self, outcome) -> int:
        """Say why a code was not accepted (app/models/email_code.py Outcome); return the HTTP status."""
        if outcome.status == "wrong":
            if outcome.tries_left:
                tries = f"{outcome.tries_left} {'try' if outcome.tries_left == 1 else 'tries'} left"
                self.code.errors.append(f"That code is not right: {tries}.")
            else:
                self.code.errors.append("That code is not right, and that was the last try. Ask for a new code.")
            return 400
        message, status = CODE_REFUSALS.get(outcome.status, CODE_REFUSALS["gone"])
        self.code.errors.append(message)
        return status


CODE_REFUSALS = {
    "expired": ("This code has expired: codes work for 15 minutes. Ask for a new code.", 400),
    "locked": ("Too many wrong tries for this code. Ask for a new code.", 429),
    "gone": ("This code is no longer valid. Ask for a new code.", 400),
    "taken": ("Another account started using this address meanwhile. Choose another address.", 409),
}


class ResendCodeForm(FlaskForm):
    """A button that asks for a new code (a POST, so it carries CSRF)."""

    submit = SubmitField("Send a new code")

    @staticmethod
    def announce(resent, email: str) -> None:
        """Say what asking for a new code did (app/models/account_email.py Resent)."""
        if resent.status == "sent":
            flash(f"We sent a new code to {email}. Only the newest code works.", "success")
        elif resent.status == "wait":
            flash(f"Please wait {wait_in_words(resent.wait)} before asking for another code.", "warning")
        else:
            flash("This code is no longer needed. Start again if you still want to.", "info")


class ForgotPasswordForm(FlaskForm):
    email = email_field
    submit = SubmitField("Send me a link")


class NewPasswordForm(FlaskForm):
    password = PasswordChangeForm.password
    confirm = PasswordChangeForm.confirm
    submit = SubmitField("Set new password")


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        "New e-mail",
        filters=[strip],
        validators=[
            DataRequired("Enter the new e-mail address."),
            Length(max=254),
            Email("Enter a valid e-mail address."),
        ],
    )
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password."), Length(max=128)]
    )
    submit = SubmitField("Send a code to the new address")
