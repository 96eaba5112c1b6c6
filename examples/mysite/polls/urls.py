from django.urls import path

from . import background, views

app_name = "polls"
urlpatterns = [
    path("", views.index, name="index"),
    path("async/", views.async_index, name="async_index"),
    path("async/<int:pk>/", views.async_detail, name="async_detail"),
    path("blocking/", views.blocking, name="blocking"),
    path("unsafe/", views.unsafe, name="unsafe"),
    path("stream/", views.stream, name="stream"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/vote/", views.vote, name="vote"),
    path("request/", views.request_info, name="request_info"),
    path("private/<str:token>/", views.private_file, name="private_file"),
    path("<int:pk>/live/", views.live, name="live"),
    path("<int:pk>/events/", views.vote_events, name="events"),
    path("socket-token/", views.socket_token, name="socket_token"),
    path("later/", background.later, name="later"),
]
