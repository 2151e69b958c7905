from __future__ import annotations

from payrec.domain.document_locale import locale_for


def test_locale_from_language_and_vat_country() -> None:
    assert locale_for("fr", "BE0123456789") == "fr_BE"
    assert locale_for("fr", None) == "fr_FR"
    assert locale_for("pt", "") == "pt_PT"
    assert locale_for("de", "ATU12345678") == "de_AT"
    assert locale_for("es", "XX123") == "es_ES"  # no Spanish locale for XX: the default
    assert locale_for(None, "FR123") is None
    assert locale_for("zz", None) is None
