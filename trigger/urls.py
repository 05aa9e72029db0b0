from django.urls import path

from . import views, views_where

app_name = "trigger"

urlpatterns = [
    path("", views.muscle_list, name="muscle_list"),
    path("where/", views_where.where, name="where"),
    path("<slug:slug>/", views.muscle_detail, name="muscle_detail"),
]
