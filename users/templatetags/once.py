from django import template
from django.utils.html import format_html

from users.once import FIELD, new_token

register = template.Library()


@register.simple_tag
def once_field() -> str:
    """A hidden field that makes a double submit of this form do its work once."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
