"""The one exception services raise for a refusal the user should read: a translated message and the HTTP
status an API gives it (400 bad input, 403 not allowed, 409 someone else changed it first)."""


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
