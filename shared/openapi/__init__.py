"""The API's OpenAPI 3.1 document, generated from the routes table and the marshmallow schemas."""
