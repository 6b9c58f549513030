"""Forms of the administration console, and the two that feed it: "Send feedback" and reporting a
review. Limits match the schema's (migrations 0008–0010); text goes through app/inputs.py's checks."""

import re
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional, ValidationError

from app.forms import MoneyField
from app.forms_seller import LabelsForm
from app.inputs import MAX_ID, no_control_characters, strip, whole_number
from app.models.admin_users import ROLES
from app.models.feedback import KINDS as FEEDBACK_KINDS
from app.models.review_report import REASONS as REPORT_REASONS

MAX_ADJUSTMENT = Decimal("100000.00")


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as a select's choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def _reason_field(label: str = "Reason", max_length: int = 500, required: bool = True):
    """Free text saying why, kept with the change (audit log, ledger, what the creator is shown)."""
    presence = DataRequired("Say why: it is kept in the audit log.") if required else Optional()
    return TextAreaField(label, filters=[strip], validators=[presence, Length(max=max_length), no_control_characters])


class RowChoiceField(SelectField):
    """A select of row ids (departments, categories): anything but one of its choices is refused
    in words, never read as a float or a 500."""

    MESSAGE = "Choose one from the list."

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=int, validate_choice=True, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = whole_number(valuelist[0], 1, MAX_ID)
            if self.data is None:
                raise ValueError(self.MESSAGE)

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(self.MESSAGE) from None


class ReauthenticateForm(FlaskForm):
    password = PasswordField("Password", validators=[InputRequired("Enter your password."), Length(max=128)])
    submit = SubmitField("Confirm")


class ReasonForm(FlaskForm):
    """A POST-only action that needs a reason: suspend, take down, hide, restore, dismiss, delete."""

    reason = _reason_field()
    submit = SubmitField("Confirm")


class RoleForm(FlaskForm):
    role = SelectField(
        "Role",
        choices=choices([("user", "User"), ("moderator", "Moderator"), ("administrator", "Administrator")]),
        validators=[AnyOf(ROLES, "Choose user, moderator or administrator.")],
        validate_choice=False,
    )
    reason = _reason_field(required=False)
    submit = SubmitField("Save role")


class SignedMoneyField(MoneyField):
    """An amount of money that may be negative ("-12.50" takes money away)."""

    def process_formdata(self, valuelist):
        sign = 1
        if valuelist and valuelist[0].strip().startswith(("-", "+")):
            text = valuelist[0].strip()
            sign = -1 if text[0] == "-" else 1
            valuelist = [text[1:]]
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data *= sign
        if valuelist:
            self.raw = ("-" if sign < 0 else "") + self.raw


def _adjustment_amount(form, field):
    """Not zero, and at most MAX_ADJUSTMENT either way."""
    if field.data is not None and (field.data == 0 or abs(field.data) > MAX_ADJUSTMENT):
        raise ValidationError(f"Enter an amount from -${MAX_ADJUSTMENT:,.2f} to ${MAX_ADJUSTMENT:,.2f}, not zero.")


class BalanceAdjustmentForm(FlaskForm):
    amount = SignedMoneyField("Amount (negative takes money away)", validators=[_adjustment_amount])
    reason = _reason_field("Reason (the user sees it in their balance history)")
    submit = SubmitField("Adjust balance")


_SLUGGABLE = re.compile(r"[A-Za-z0-9]")


def _has_letter_or_digit(form, field):
    if field.data and not _SLUGGABLE.search(field.data):
        raise ValidationError("Use at least one letter or digit.")


def _name_field(label: str):
    return StringField(
        label,
        filters=[strip],
        validators=[DataRequired("Enter a name."), Length(max=60), no_control_characters, _has_letter_or_digit],
    )


class DepartmentForm(FlaskForm):
    name = _name_field("New department")
    submit = SubmitField("Create department")


class CategoryForm(FlaskForm):
    department_id = RowChoiceField("Department")
    name = _name_field("New category")
    submit = SubmitField("Create category")


class AttributeForm(FlaskForm):
    """A new attribute of a category: what products of it are described by."""

    key = StringField(
        "Key (in URLs)",
        filters=[strip],
        validators=[DataRequired("Enter a key such as screen_size."), Length(max=30), no_control_characters],
    )
    label = StringField(
        "Label",
        filters=[strip],
        validators=[DataRequired("Enter what shoppers see."), Length(max=60), no_control_characters],
    )
    type = SelectField(
        "Type",
        choices=choices([("number", "Number"), ("choice", "One of a list"), ("text", "Short text")]),
        validators=[AnyOf(["number", "choice", "text"], "Choose a type from the list.")],
    )
    unit = StringField(
        "Unit (numbers only)", filters=[strip], validators=[Optional(), Length(max=20), no_control_characters]
    )
    options = StringField(
        "Choices (separated by commas)",
        filters=[strip],
        validators=[Optional(), Length(max=1000), no_control_characters],
    )
    submit = SubmitField("Add attribute")

    def validate_key(self, field) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,29}", field.data or ""):
            raise ValidationError("A key is lower-case letters, digits and _, starting with a letter.")

    def validate_unit(self, field) -> None:
        if field.data and self.type.data != "number":
            raise ValidationError("Only a number has a unit.")

    def validate_options(self, field) -> None:
        listed = self.choice_list()
        if self.type.data == "choice" and not 1 <= len(listed) <= 50:
            raise ValidationError("List from 1 to 50 choices, separated by commas.")
        if self.type.data != "choice" and listed:
            raise ValidationError("Only a choice attribute has choices.")
        if any(len(choice) > 100 for choice in listed):
            raise ValidationError("Keep each choice to 100 characters.")

    def choice_list(self) -> list[str]:
        """The choices typed, trimmed, each once, in order."""
        return list(
            dict.fromkeys(" ".join(part.split()) for part in (self.options.data or "").split(",") if part.strip())
        )

    def definition(self) -> dict:
        """The attribute as create_attribute takes it."""
        return {
            "key": self.key.data,
            "label": self.label.data,
            "type": self.type.data,
            "unit": self.unit.data or None,
            "choices": self.choice_list() or None,
        }


class RenameForm(FlaskForm):
    name = _name_field("New name")
    submit = SubmitField("Rename")


class TargetForm(FlaskForm):
    """Where a category moves, or what a category or department merges into."""

    target_id = RowChoiceField("Into")
    submit = SubmitField("Confirm")


class ProductEditForm(LabelsForm):
    name = StringField(
        "Product name",
        filters=[strip],
        validators=[DataRequired("Enter the product's name."), Length(max=200), no_control_characters],
    )
    description = TextAreaField("Description", filters=[strip], validators=[Length(max=5000), no_control_characters])
    category_id = RowChoiceField("Category")
    reason = _reason_field(required=False)
    submit = SubmitField("Save product")


class SwitchForm(FlaskForm):
    enabled = HiddenField(validators=[AnyOf(["1", "0"], "That switch was not understood.")])
    submit = SubmitField("Save")


class FeedbackCloseForm(FlaskForm):
    response = _reason_field("Answer (the sender sees it)", max_length=2000)
    submit = SubmitField("Close feedback")


class FeedbackForm(FlaskForm):
    kind = SelectField(
        "What is it?",
        choices=choices([("", "Choose…"), *FEEDBACK_KINDS.items()]),
        validators=[
            InputRequired("Choose suggestion or problem."),
            AnyOf(list(FEEDBACK_KINDS), "Choose suggestion or problem."),
        ],
        validate_choice=False,
    )
    subject = StringField(
        "Subject",
        filters=[strip],
        validators=[DataRequired("Give it a subject."), Length(max=120), no_control_characters],
    )
    body = TextAreaField(
        "Details",
        filters=[strip],
        validators=[DataRequired("Tell us a little more."), Length(max=5000), no_control_characters],
    )
    page = HiddenField(filters=[strip], validators=[Length(max=500), no_control_characters])
    submit = SubmitField("Send feedback")


class ReportReviewForm(FlaskForm):
    reason = SelectField(
        "Why should a moderator look at it?",
        choices=choices([("", "Choose…"), *REPORT_REASONS.items()]),
        validators=[InputRequired("Choose a reason."), AnyOf(list(REPORT_REASONS), "Choose a reason.")],
        validate_choice=False,
    )
    details = TextAreaField(
        "Anything else? (optional)", filters=[strip], validators=[Length(max=1000), no_control_characters]
    )
    submit = SubmitField("Report review")
