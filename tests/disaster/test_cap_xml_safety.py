"""Hostile XML (external entities, entity expansion, DTDs) is refused before anything is resolved."""

import pytest

from siaga.disaster import cap

pytestmark = pytest.mark.usefixtures("english")

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol3;</identifier></alert>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE alert SYSTEM "http://example.invalid/cap.dtd">
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>"""


@pytest.mark.parametrize("data", [XXE, LAUGHS, EXTERNAL_DTD], ids=["xxe", "billion-laughs", "external-dtd"])
def test_it_refuses_dtds_and_entities(data):
    with pytest.raises(cap.ParseError) as exc:
        cap.parse_cap(data)
    assert "forbidden XML feature" in exc.value.message
    assert "root:" not in exc.value.message


def test_the_rss_reader_refuses_them_too():
    with pytest.raises(cap.ParseError):
        cap.parse_rss_index(XXE.replace(b"alert", b"rss"))
