"""The pages over HTTP (the gateway as in production): statuses, headers, forms, errors as pages."""

from __future__ import annotations

import re

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def test_booking_page_shows_the_practice(gateway, practice):
    professional, services = practice
    response = gateway.get("/book/consulta-lucia", headers={"Accept-Language": "es"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Consulta Lucía" in html and "Primera visita" in html
    assert "&lt;b&gt;sin&lt;/b&gt;" in html  # markup in a bio is text
    assert "60,00\xa0€" in html and "45,50\xa0€" in html
    print(html)


