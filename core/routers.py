from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """Accepts paths with and without the trailing slash: seeds use none, Django habits add one."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
