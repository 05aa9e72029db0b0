from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Muscle


def muscle_list(request: HttpRequest) -> HttpResponse:
    return render(request, "trigger/muscle_list.html", {"muscles": Muscle.objects.all()})


def muscle_detail(request: HttpRequest, slug: str) -> HttpResponse:
    muscle = get_object_or_404(Muscle, slug=slug)
    return render(request, "trigger/muscle_detail.html", {"muscle": muscle})
