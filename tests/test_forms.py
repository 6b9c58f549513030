"""Form widgets that must render exactly as WTForms would, only faster."""

import pytest
from wtforms.widgets import Select

from app.forms import TimeZoneForm


@pytest.mark.parametrize("zone", ["Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires", "Nowhere/Else", None])
def test_the_time_zone_select_renders_as_wtforms_select_does(app, zone):
    with app.test_request_context():
        field = TimeZoneForm(data={"time_zone": zone}).time_zone
        attributes = {"class_": "form-select", "aria-describedby": "time-zone-help"}
        rendered = str(field(**attributes))
        assert rendered == str(Select()(field, **attributes))
        assert rendered.count(" selected") == (0 if zone in ("Nowhere/Else", None) else 1)
