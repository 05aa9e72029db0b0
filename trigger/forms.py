from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BodyArea, BodyRegion


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


class WhereForm(forms.Form):
    """ "Where does it hurt?": one or more body chart areas, by slug in the GET query
    (``?area=heel-and-sole-left&area=back-of-knee-right``), so links and the checkbox list
    work with no JavaScript."""

    MAX_AREAS = 60

    area = forms.ModelMultipleChoiceField(
        label=_("Where does it hurt?"),
        queryset=BodyArea.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("%(value)s is not an area of the body chart."),
            "invalid_pk_value": _("%(pk)s is not an area of the body chart."),
        },
    )

    def chosen(self) -> list[BodyArea]:
        """The valid areas chosen, in chart order; an unknown one is reported, never a 500."""
        if not self.is_bound:
            return []
        slugs = [s for s in self.data.getlist("area") if isinstance(s, str)][: self.MAX_AREAS]
        if self.is_valid():
            return list(self.cleaned_data["area"].order_by("view", "order", "side"))
        return list(BodyArea.objects.filter(slug__in=slugs).order_by("view", "order", "side"))
