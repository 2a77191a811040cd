"""The API toolkit every router builds on (the root that assembles the routers is ``backend.api``): the error
shape, cursor pagination, bounded types, refused text, the OpenAPI error answers and the staff schemes."""
