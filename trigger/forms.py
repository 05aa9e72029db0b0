from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BodyRegion


class LibrarySearchForm(forms.Form):
    """The library's GET search: a muscle's name or where it hurts, and a body region."""

    q = forms.CharField(
        label=_("Muscle or where it hurts"),
        max_length=100,
        required=False,
        strip=True,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("e.g. soleus, heel, back of the knee")}
        ),
    )
    region = forms.ModelChoiceField(
        label=_("Refers pain to"),
        queryset=BodyRegion.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("Any region"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["class"] = "form-control"
        self.fields["region"].widget.attrs["class"] = "form-select"

    def filters(self) -> dict:
        """The valid filters only: a bad value is reported and ignored, never a 500."""
        if not self.is_bound:
            return {}
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {key: value for key, value in cleaned.items() if value}
