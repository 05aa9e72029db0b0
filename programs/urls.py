from django.urls import path

from . import views, views_own

app_name = "programs"

urlpatterns = [
    path("", views.program_list, name="list"),
    path("new/", views.program_new, name="new"),
    path("<int:pk>/", views.program_detail, name="detail"),
    path("<int:pk>/print/", views.program_print, name="print"),
    path("<int:pk>/edit/", views.program_update, name="update"),
    path("<int:pk>/clone/", views.program_clone, name="clone"),
    path("<int:pk>/share/", views.program_share, name="share"),
    path("<int:pk>/delete/", views.program_delete, name="delete"),
    path("<int:pk>/items/add/", views.item_add, name="item_add"),
    path("<int:pk>/items/reorder/", views.item_reorder, name="item_reorder"),
    path("<int:pk>/items/<int:item_pk>/edit/", views.item_edit, name="item_edit"),
    path("<int:pk>/items/<int:item_pk>/refresh/", views.item_refresh, name="item_refresh"),
    path("<int:pk>/items/<int:item_pk>/move/", views.item_move, name="item_move"),
    path("<int:pk>/items/<int:item_pk>/remove/", views.item_remove, name="item_remove"),
    path("<int:pk>/items/add-own/", views_own.item_add_own, name="item_add_own"),
    path("exercises/", views_own.exercise_list, name="exercise_list"),
    path("exercises/new/", views_own.exercise_new, name="exercise_new"),
    path("exercises/<int:pk>/", views_own.exercise_detail, name="exercise_detail"),
    path("exercises/<int:pk>/edit/", views_own.exercise_edit, name="exercise_edit"),
]
