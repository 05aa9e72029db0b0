from django.urls import path

from . import views

app_name = "trigger"

urlpatterns = [
    path("", views.muscle_list, name="muscle_list"),
    path("<slug:slug>/", views.muscle_detail, name="muscle_detail"),
]
