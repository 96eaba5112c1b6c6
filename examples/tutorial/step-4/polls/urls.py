from django.urls import path

from . import views

app_name = "polls"
urlpatterns = [
    path("", views.index, name="index"),
    path("async/", views.async_index, name="async_index"),
    path("async/<int:pk>/", views.async_detail, name="async_detail"),
]
