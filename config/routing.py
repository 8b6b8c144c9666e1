from django.urls import path

from chat.consumers import ChatConsumer
from core.consumers import NotificationsConsumer
from queries.consumers import QueryConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationsConsumer.as_asgi()),
    path("ws/query/<str:query_id>/", QueryConsumer.as_asgi()),
    path("ws/chat/<str:session_id>/", ChatConsumer.as_asgi()),
]
